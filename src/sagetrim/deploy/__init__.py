"""Running sagetrim inside an AWS account: Lambda handlers, the CloudFormation template with its
least-privilege role, and the deployment package.

The CLI calls :func:`render_template` (`sagetrim deploy template`) and :func:`build_package`
(`sagetrim deploy package`); Lambda calls the handlers in :mod:`sagetrim.deploy.handlers`.
"""

from sagetrim.deploy.package import PackageError, PackageReport, build_package
from sagetrim.deploy.template import build_template, render_template

__all__ = ["PackageError", "PackageReport", "build_package", "build_template", "render_template"]
