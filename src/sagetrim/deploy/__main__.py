"""`python -m sagetrim.deploy OUT.zip`: build the Lambda deployment package (what `sagetrim deploy package` does)."""

import sys

from sagetrim.deploy.package import main

sys.exit(main())
