"""SageMaker Studio user profiles, spaces and apps, which moto lacks.

moto has Studio domains (CreateDomain, DescribeDomain, ListDomains, DeleteDomain) and they are reused:
user profiles, spaces and apps live beside moto's SageMaker backend of the same account and region, and
moto's own dispatch serves them, so they are reached through boto3 like any other operation and vanish
with the rest of moto's state on reset.

What follows AWS: ARNs (``arn:aws:sagemaker:REGION:ACCOUNT:app/DOMAIN/OWNER/APPTYPE/APPNAME``, the app type
in lower case); an app belongs to exactly one user profile or space; an app's instance type comes from the
request, else the owner's default resource spec, else the domain's, else the app type's default; deleted
apps stay listed with status ``Deleted`` for a while; List calls page at most 100 items, 10 by default.
"""

from __future__ import annotations

import importlib
import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sagetrim.sim import clock
from sagetrim.sim.moto_patch import existing, replace
from sagetrim.sim.sagemaker_fixes import DEFAULT_PAGE_SIZE, decode_page_token, encode_page_token, enum_values

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "DELETED_APP_RETENTION",
    "App",
    "Space",
    "StudioKind",
    "StudioStore",
    "UserProfile",
    "install",
    "set_creation_time",
    "set_status",
    "store_for",
]

# How long a deleted app stays listed with status Deleted, in sim time.
DELETED_APP_RETENTION = timedelta(hours=24)

StudioKind = Literal["user-profile", "space", "app"]

# The instance type of an app created without a resource spec anywhere in its settings.
DEFAULT_APP_INSTANCE_TYPE = {
    "JupyterServer": "system",
    "KernelGateway": "ml.t3.medium",
    "JupyterLab": "ml.t3.medium",
    "CodeEditor": "ml.t3.medium",
    "RSessionGateway": "ml.t3.medium",
}

# Spaces of these app types keep their files on an EBS volume of their own (5 GB unless the domain says).
EBS_APP_TYPES = ("JupyterLab", "CodeEditor")
DEFAULT_SPACE_EBS_GB = 5

# Where an app type's settings sit in UserSettings / SpaceSettings.
APP_SETTINGS_KEY = {
    "JupyterServer": "JupyterServerAppSettings",
    "KernelGateway": "KernelGatewayAppSettings",
    "JupyterLab": "JupyterLabAppSettings",
    "CodeEditor": "CodeEditorAppSettings",
    "TensorBoard": "TensorBoardAppSettings",
    "RStudioServerPro": "RStudioServerProAppSettings",
    "RSessionGateway": "RSessionAppSettings",
    "Canvas": "CanvasAppSettings",
}

_LIVE = ("Pending", "InService")


def _arn(region: str, account: str, resource: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:{resource}"


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@dataclass
class UserProfile:
    """A Studio user profile."""

    domain_id: str
    name: str
    arn: str
    creation_time: datetime
    last_modified_time: datetime
    user_settings: dict[str, Any] = field(default_factory=dict)
    status: str = "InService"
    tags: list[dict[str, str]] = field(default_factory=list)

    def details(self) -> dict[str, Any]:
        """The ``UserProfileDetails`` of ListUserProfiles."""
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }

    def describe(self) -> dict[str, Any]:
        """The DescribeUserProfile response."""
        return _drop_none(
            {
                **self.details(),
                "UserProfileArn": self.arn,
                "UserSettings": self.user_settings or None,
            }
        )


@dataclass
class Space:
    """A Studio space."""

    domain_id: str
    name: str
    arn: str
    creation_time: datetime
    last_modified_time: datetime
    url: str
    space_settings: dict[str, Any] = field(default_factory=dict)
    ownership_settings: dict[str, Any] | None = None
    sharing_settings: dict[str, Any] | None = None
    display_name: str | None = None
    status: str = "InService"
    tags: list[dict[str, str]] = field(default_factory=list)

    def details(self) -> dict[str, Any]:
        """The ``SpaceDetails`` of ListSpaces."""
        settings = self.space_settings
        summary = _drop_none(
            {
                "AppType": settings.get("AppType"),
                "RemoteAccess": settings.get("RemoteAccess"),
                "SpaceStorageSettings": settings.get("SpaceStorageSettings"),
            }
        )
        return _drop_none(
            {
                "DomainId": self.domain_id,
                "SpaceName": self.name,
                "Status": self.status,
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
                "SpaceSettingsSummary": summary or None,
                "SpaceSharingSettingsSummary": self.sharing_settings,
                "OwnershipSettingsSummary": self.ownership_settings,
                "SpaceDisplayName": self.display_name,
            }
        )

    def describe(self) -> dict[str, Any]:
        """The DescribeSpace response."""
        return _drop_none(
            {
                "DomainId": self.domain_id,
                "SpaceArn": self.arn,
                "SpaceName": self.name,
                "Status": self.status,
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
                "SpaceSettings": self.space_settings or None,
                "OwnershipSettings": self.ownership_settings,
                "SpaceSharingSettings": self.sharing_settings,
                "SpaceDisplayName": self.display_name,
                "Url": self.url,
            }
        )


@dataclass
class App:
    """A Studio app: the compute behind a user profile's or a space's IDE or kernel."""

    domain_id: str
    user_profile_name: str | None
    space_name: str | None
    app_type: str
    name: str
    arn: str
    creation_time: datetime
    resource_spec: dict[str, Any]
    status: str = "InService"
    deleted_time: datetime | None = None
    failure_reason: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def owner(self) -> str:
        """The user profile or space the app belongs to."""
        return self.user_profile_name or self.space_name or ""

    @property
    def path(self) -> str:
        """``DOMAIN/OWNER/AppType/APPNAME``, the app's name for the sim-side helpers."""
        return f"{self.domain_id}/{self.owner}/{self.app_type}/{self.name}"

    def details(self) -> dict[str, Any]:
        """The ``AppDetails`` of ListApps."""
        return _drop_none(
            {
                "DomainId": self.domain_id,
                "UserProfileName": self.user_profile_name,
                "SpaceName": self.space_name,
                "AppType": self.app_type,
                "AppName": self.name,
                "Status": self.status,
                "CreationTime": self.creation_time,
                "ResourceSpec": self.resource_spec,
            }
        )

    def describe(self) -> dict[str, Any]:
        """The DescribeApp response.

        AWS updates LastUserActivityTimestamp on its own health checks as well as on user activity, so
        a running app reports both timestamps as recent; an idle check cannot rely on them.
        """
        checked = clock.utcnow().replace(microsecond=0) if self.status == "InService" else None
        return _drop_none(
            {
                **self.details(),
                "AppArn": self.arn,
                "FailureReason": self.failure_reason,
                "LastHealthCheckTimestamp": checked,
                "LastUserActivityTimestamp": checked,
            }
        )


class StudioStore:
    """The user profiles, spaces and apps of one account and region."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self.lock = threading.RLock()
        self.user_profiles: dict[tuple[str, str], UserProfile] = {}
        self.spaces: dict[tuple[str, str], Space] = {}
        self.apps: dict[tuple[str, str, str, str], App] = {}

    def by_arn(self, arn: str) -> UserProfile | Space | App | None:
        """The user profile, space or app with this ARN, if any."""
        resources: list[UserProfile | Space | App] = [
            *self.user_profiles.values(),
            *self.spaces.values(),
            *(app for app in self.apps.values() if self.is_visible(app)),
        ]
        return next((resource for resource in resources if resource.arn == arn), None)

    @staticmethod
    def is_visible(app: App) -> bool:
        """Whether AWS still shows the app: any app but one deleted longer than the retention ago."""
        if app.status != "Deleted" or app.deleted_time is None:
            return True
        return app.deleted_time > clock.utcnow() - DELETED_APP_RETENTION

    def visible_apps(self) -> list[App]:
        """The apps that ListApps shows."""
        return [app for app in self.apps.values() if self.is_visible(app)]


_stores: weakref.WeakKeyDictionary[Any, StudioStore] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def store_for(account: str, region: str) -> StudioStore:
    """The Studio store beside moto's SageMaker backend of ``account`` and ``region``."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account][region]
    with _stores_lock:
        store = _stores.get(backend)
        if store is None:
            store = _stores[backend] = StudioStore(account, region)
        return store


# --- errors ---------------------------------------------------------------------------------------


def _not_found(message: str) -> Exception:
    from moto.sagemaker.exceptions import ResourceNotFound

    return ResourceNotFound(message=message)


def _in_use(message: str) -> Exception:
    from moto.sagemaker.exceptions import ResourceInUseException

    return ResourceInUseException(message=message)


def _invalid(message: str) -> Exception:
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError(message=message)


# --- paging ---------------------------------------------------------------------------------------


def _page(items: list[Any], params: Mapping[str, Any], key: str, render: Callable[[Any], Any]) -> dict[str, Any]:
    offset = decode_page_token(params.get("NextToken"))
    size = int(params.get("MaxResults") or DEFAULT_PAGE_SIZE)
    result: dict[str, Any] = {key: [render(item) for item in items[offset : offset + size]]}
    if offset + size < len(items):
        result["NextToken"] = encode_page_token(offset + size)
    return result


def _sorted(items: Iterable[Any], params: Mapping[str, Any], keys: Mapping[str, Callable[[Any], Any]]) -> list[Any]:
    sort_by = params.get("SortBy") or "CreationTime"
    descending = params.get("SortOrder") == "Descending"
    return sorted(items, key=keys.get(sort_by, keys["CreationTime"]), reverse=descending)


# --- the operations -------------------------------------------------------------------------------


class _Studio:
    """The Studio operations, bound to one request's account, region and parameters."""

    def __init__(self, account: str, region: str, params: Mapping[str, Any]) -> None:
        from moto.sagemaker.models import sagemaker_backends

        self.account = account
        self.region = region
        self.params = params
        self.backend = sagemaker_backends[account][region]
        self.store = store_for(account, region)

    def _domain(self) -> Any:
        domain_id = str(self.params.get("DomainId"))
        domain = self.backend.domains.get(domain_id)
        if domain is None:
            raise _not_found(f"Domain with id {domain_id} does not exist.")
        return domain

    def _user(self, domain_id: str, name: str) -> UserProfile:
        user = self.store.user_profiles.get((domain_id, name))
        if user is None:
            raise _not_found(f"User profile [{name}] does not exist in domain [{domain_id}].")
        return user

    def _space(self, domain_id: str, name: str) -> Space:
        space = self.store.spaces.get((domain_id, name))
        if space is None:
            raise _not_found(f"Space [{name}] does not exist in domain [{domain_id}].")
        return space

    def _live_apps(self, domain_id: str, owner: str) -> list[App]:
        return [
            app
            for app in self.store.apps.values()
            if app.domain_id == domain_id and app.owner == owner and app.status in _LIVE
        ]

    # user profiles

    def create_user_profile(self) -> dict[str, Any]:
        domain = self._domain()
        name = str(self.params["UserProfileName"])
        with self.store.lock:
            if (domain.id, name) in self.store.user_profiles:
                raise _in_use(f"User profile [{name}] already exists in domain [{domain.id}].")
            now = clock.utcnow()
            user = UserProfile(
                domain_id=domain.id,
                name=name,
                arn=_arn(self.region, self.account, f"user-profile/{domain.id}/{name}"),
                creation_time=now,
                last_modified_time=now,
                user_settings=dict(self.params.get("UserSettings") or {}),
                tags=list(self.params.get("Tags") or []),
            )
            self.store.user_profiles[(domain.id, name)] = user
        return {"UserProfileArn": user.arn}

    def describe_user_profile(self) -> dict[str, Any]:
        return self._user(str(self.params["DomainId"]), str(self.params["UserProfileName"])).describe()

    def update_user_profile(self) -> dict[str, Any]:
        """Each settings member given replaces the one the profile had; the others stay."""
        with self.store.lock:
            user = self._user(str(self.params["DomainId"]), str(self.params["UserProfileName"]))
            settings = self.params.get("UserSettings")
            if settings:
                user.user_settings = {**user.user_settings, **settings}
            user.last_modified_time = clock.utcnow()
        return {"UserProfileArn": user.arn}

    def update_domain(self) -> dict[str, Any]:
        """As UpdateUserProfile, for the domain's defaults for user profiles and for spaces."""
        domain = self._domain()
        with self.store.lock:
            for param, attribute in (("DefaultUserSettings", "default_user_settings"),
                                     ("DefaultSpaceSettings", "default_space_settings")):
                settings = self.params.get(param)
                if settings:
                    setattr(domain, attribute, {**(getattr(domain, attribute) or {}), **settings})
            domain.last_modified_time = clock.utcnow()
        return {"DomainArn": domain.arn}

    def list_user_profiles(self) -> dict[str, Any]:
        domain_id = self.params.get("DomainIdEquals")
        contains = self.params.get("UserProfileNameContains")
        users = [
            user
            for user in self.store.user_profiles.values()
            if (not domain_id or user.domain_id == domain_id) and (not contains or contains in user.name)
        ]
        keys = {"CreationTime": _creation, "LastModifiedTime": _modified}
        return _page(_sorted(users, self.params, keys), self.params, "UserProfiles", UserProfile.details)

    def delete_user_profile(self) -> dict[str, Any]:
        domain_id, name = str(self.params["DomainId"]), str(self.params["UserProfileName"])
        with self.store.lock:
            self._user(domain_id, name)
            if self._live_apps(domain_id, name):
                raise _in_use(f"User profile [{name}] has apps that are not deleted; delete them first.")
            del self.store.user_profiles[(domain_id, name)]
        return {}

    # spaces

    def create_space(self) -> dict[str, Any]:
        domain = self._domain()
        name = str(self.params["SpaceName"])
        with self.store.lock:
            if (domain.id, name) in self.store.spaces:
                raise _in_use(f"Space [{name}] already exists in domain [{domain.id}].")
            owner = (self.params.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
            if owner:
                self._user(domain.id, str(owner))
            now = clock.utcnow()
            settings = dict(self.params.get("SpaceSettings") or {})
            if settings.get("AppType") in EBS_APP_TYPES and not settings.get("SpaceStorageSettings"):
                # A JupyterLab or Code Editor space gets an EBS volume of the domain's default size.
                default = (((domain.default_user_settings or {}).get("SpaceStorageSettings") or {})
                           .get("DefaultEbsStorageSettings") or {}).get("DefaultEbsVolumeSizeInGb")
                settings["SpaceStorageSettings"] = {"EbsStorageSettings": {
                    "EbsVolumeSizeInGb": int(default or DEFAULT_SPACE_EBS_GB)}}
            space = Space(
                domain_id=domain.id,
                name=name,
                arn=_arn(self.region, self.account, f"space/{domain.id}/{name}"),
                creation_time=now,
                last_modified_time=now,
                url=f"https://{domain.id}.studio.{self.region}.sagemaker.aws/jupyterlab/default/spaces/{name}",
                space_settings=settings,
                ownership_settings=self.params.get("OwnershipSettings"),
                sharing_settings=self.params.get("SpaceSharingSettings"),
                display_name=self.params.get("SpaceDisplayName"),
                tags=list(self.params.get("Tags") or []),
            )
            self.store.spaces[(domain.id, name)] = space
        return {"SpaceArn": space.arn}

    def describe_space(self) -> dict[str, Any]:
        return self._space(str(self.params["DomainId"]), str(self.params["SpaceName"])).describe()

    def update_space(self) -> dict[str, Any]:
        with self.store.lock:
            space = self._space(str(self.params["DomainId"]), str(self.params["SpaceName"]))
            settings = self.params.get("SpaceSettings")
            if settings:
                space.space_settings = {**space.space_settings, **settings}
            if self.params.get("SpaceDisplayName") is not None:
                space.display_name = str(self.params["SpaceDisplayName"])
            space.last_modified_time = clock.utcnow()
        return {"SpaceArn": space.arn}

    def list_spaces(self) -> dict[str, Any]:
        domain_id = self.params.get("DomainIdEquals")
        contains = self.params.get("SpaceNameContains")
        spaces = [
            space
            for space in self.store.spaces.values()
            if (not domain_id or space.domain_id == domain_id) and (not contains or contains in space.name)
        ]
        keys = {"CreationTime": _creation, "LastModifiedTime": _modified}
        return _page(_sorted(spaces, self.params, keys), self.params, "Spaces", Space.details)

    def delete_space(self) -> dict[str, Any]:
        domain_id, name = str(self.params["DomainId"]), str(self.params["SpaceName"])
        with self.store.lock:
            self._space(domain_id, name)
            if self._live_apps(domain_id, name):
                raise _in_use(f"Space [{name}] has apps that are not deleted; delete them first.")
            del self.store.spaces[(domain_id, name)]
        return {}

    # apps

    def _owner(self) -> tuple[str | None, str | None]:
        user = self.params.get("UserProfileName")
        space = self.params.get("SpaceName")
        if bool(user) == bool(space):
            raise _invalid("Exactly one of UserProfileName or SpaceName must be specified.")
        return (str(user) if user else None), (str(space) if space else None)

    def _app_key(self, domain_id: str) -> tuple[str, str, str, str]:
        user, space = self._owner()
        return domain_id, str(user or space), str(self.params["AppType"]), str(self.params["AppName"])

    def _resource_spec(self, domain: Any, app_type: str, owner_settings: Mapping[str, Any], for_space: bool) -> Any:
        requested = self.params.get("ResourceSpec") or {}
        domain_settings = (domain.default_space_settings if for_space else domain.default_user_settings) or {}
        key = APP_SETTINGS_KEY.get(app_type, "")
        spec: dict[str, Any] = {}
        for settings in (domain_settings, owner_settings):
            spec.update((settings.get(key) or {}).get("DefaultResourceSpec") or {})
        spec.update(requested)
        spec.setdefault("InstanceType", DEFAULT_APP_INSTANCE_TYPE.get(app_type, "system"))
        return spec

    def create_app(self) -> dict[str, Any]:
        domain = self._domain()
        user_name, space_name = self._owner()
        app_type, app_name = str(self.params["AppType"]), str(self.params["AppName"])
        with self.store.lock:
            if user_name:
                owner_settings = self._user(domain.id, user_name).user_settings
            else:
                owner_settings = self._space(domain.id, str(space_name)).space_settings
            key = self._app_key(domain.id)
            owner = user_name or space_name
            arn = _arn(self.region, self.account, f"app/{domain.id}/{owner}/{app_type.lower()}/{app_name}")
            existing = self.store.apps.get(key)
            if existing is not None and existing.status in _LIVE:
                raise _in_use(f"App [{arn}] already exists.")
            app = App(
                domain_id=domain.id,
                user_profile_name=user_name,
                space_name=space_name,
                app_type=app_type,
                name=app_name,
                arn=arn,
                creation_time=clock.utcnow(),
                resource_spec=self._resource_spec(domain, app_type, owner_settings, space_name is not None),
                tags=list(self.params.get("Tags") or []),
            )
            self.store.apps[key] = app
        return {"AppArn": app.arn}

    def _app(self) -> App:
        domain_id = str(self.params["DomainId"])
        key = self._app_key(domain_id)
        app = self.store.apps.get(key)
        if app is None or not self.store.is_visible(app):
            arn = _arn(self.region, self.account, f"app/{domain_id}/{key[1]}/{key[2].lower()}/{key[3]}")
            raise _not_found(f"App [{arn}] does not exist.")
        return app

    def describe_app(self) -> dict[str, Any]:
        return self._app().describe()

    def delete_app(self) -> dict[str, Any]:
        with self.store.lock:
            app = self._app()
            if app.status == "Deleted":
                raise _not_found(f"App [{app.arn}] does not exist.")
            # AWS goes through Deleting to Deleted and keeps listing the app for a while.
            app.status = "Deleted"
            app.deleted_time = clock.utcnow()
        return {}

    def list_apps(self) -> dict[str, Any]:
        domain_id = self.params.get("DomainIdEquals")
        user = self.params.get("UserProfileNameEquals")
        space = self.params.get("SpaceNameEquals")
        apps = [
            app
            for app in self.store.visible_apps()
            if (not domain_id or app.domain_id == domain_id)
            and (not user or app.user_profile_name == user)
            and (not space or app.space_name == space)
        ]
        return _page(_sorted(apps, self.params, {"CreationTime": _creation}), self.params, "Apps", App.details)


def _creation(item: Any) -> Any:
    return item.creation_time


def _modified(item: Any) -> Any:
    return item.last_modified_time


OPERATIONS = (
    "update_domain",
    "create_user_profile",
    "describe_user_profile",
    "update_user_profile",
    "list_user_profiles",
    "delete_user_profile",
    "create_space",
    "describe_space",
    "update_space",
    "list_spaces",
    "delete_space",
    "create_app",
    "describe_app",
    "delete_app",
    "list_apps",
)

_install_lock = threading.Lock()


def install() -> None:
    """Serve the Studio operations moto lacks through moto's SageMaker dispatch. Idempotent.

    An operation moto implements itself is left to moto.
    """
    from moto.sagemaker.responses import SageMakerResponse

    with _install_lock:
        if getattr(SageMakerResponse, "create_app", None) is None:
            _install_tagging()
        for operation in OPERATIONS:
            if getattr(SageMakerResponse, operation, None) is not None:
                continue
            setattr(SageMakerResponse, operation, _handler(operation))


def _install_tagging() -> None:
    """Let AddTags, ListTags and DeleteTags reach Studio resources by their ARNs.

    moto finds a tagged resource by splitting its ARN into one type and one name, which an app ARN
    (``app/DOMAIN/OWNER/TYPE/NAME``) does not fit.
    """
    models: Any = importlib.import_module("moto.sagemaker.models")
    backend = models.SageMakerModelBackend
    resource_from_arn = existing(backend, "_get_resource_from_arn")

    def studio_resource_from_arn(self: Any, arn: str) -> Any:
        kind = arn.split(":", 5)[-1].split("/", 1)[0]
        if kind not in ("app", "space", "user-profile"):
            return resource_from_arn(self, arn)
        found = store_for(self.account_id, self.region_name).by_arn(arn)
        if found is None:
            raise _invalid(f"Could not find {kind} with ARN {arn}")
        return found

    replace(backend, "_get_resource_from_arn", studio_resource_from_arn)

    # The Resource Groups Tagging API lists Studio apps, spaces and user profiles with their tags, as AWS does.
    tagged = existing(backend, "iter_tagged_resources")

    def with_studio(self: Any) -> Any:
        from moto.core.resource_tagging import TaggedResource

        yield from tagged(self)
        store = store_for(self.account_id, self.region_name)
        with store.lock:
            resources: list[Any] = [*store.user_profiles.values(), *store.spaces.values(), *store.visible_apps()]
        for resource in resources:
            tags = {t["Key"]: t["Value"] for t in resource.tags}
            if tags:
                kind = resource.arn.split(":", 5)[-1].split("/", 1)[0]
                yield TaggedResource(arn=resource.arn, tags=tags, resource_type=f"sagemaker:{kind}")

    replace(backend, "iter_tagged_resources", with_studio)


def _handler(operation: str) -> Callable[[Any], Any]:
    def handle(self: Any) -> Any:
        from moto.core.responses import ActionResult, EmptyResult

        result = getattr(_Studio(self.current_account, self.region, self.params), operation)()
        return ActionResult(result) if result else EmptyResult()

    handle.__name__ = operation
    handle.__qualname__ = f"SageMakerResponse.{operation}"
    return handle


# --- the sim side -----------------------------------------------------------------------------------


def _find(account: str, region: str, kind: StudioKind, name: str) -> UserProfile | Space | App:
    """Find a Studio resource by ``DOMAIN/USER``, ``DOMAIN/SPACE`` or ``DOMAIN/OWNER/AppType/APPNAME``."""
    store = store_for(account, region)
    parts = tuple(name.split("/"))
    found: UserProfile | Space | App | None
    if kind == "user-profile" and len(parts) == 2:
        found = store.user_profiles.get((parts[0], parts[1]))
    elif kind == "space" and len(parts) == 2:
        found = store.spaces.get((parts[0], parts[1]))
    elif kind == "app" and len(parts) == 4:
        found = store.apps.get((parts[0], parts[1], parts[2], parts[3]))
    else:
        raise ValueError(f"{kind} names look like {_NAME_FORMS.get(kind, '?')}, got {name!r}")
    if found is None:
        raise KeyError(f"no {kind} named {name!r} in account {account}, region {region}")
    return found


_NAME_FORMS = {"user-profile": "DOMAIN/USER", "space": "DOMAIN/SPACE", "app": "DOMAIN/OWNER/AppType/APPNAME"}


def set_creation_time(account: str, region: str, kind: StudioKind, name: str, when: datetime) -> None:
    """Backdate a user profile, space or app; a naive ``when`` is read as UTC.

    Names are ``DOMAIN/USER``, ``DOMAIN/SPACE`` and ``DOMAIN/OWNER/AppType/APPNAME``.
    """
    resource = _find(account, region, kind, name)
    created = clock.to_naive_utc(when)
    resource.creation_time = created
    if not isinstance(resource, App) and resource.last_modified_time < created:
        resource.last_modified_time = created


def set_status(account: str, region: str, kind: StudioKind, name: str, status: str) -> None:
    """Put a user profile, space or app in a status of its enum (an app set Deleted is deleted now)."""
    shape = {"user-profile": "UserProfileStatus", "space": "SpaceStatus", "app": "AppStatus"}[kind]
    allowed = enum_values(shape)
    if status not in allowed:
        raise ValueError(f"{status!r} is not a {kind} status; expected one of: {', '.join(allowed)}")
    resource = _find(account, region, kind, name)
    resource.status = status
    if isinstance(resource, App):
        resource.deleted_time = clock.utcnow() if status == "Deleted" else None
    else:
        resource.last_modified_time = clock.utcnow()
