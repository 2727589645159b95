from . import permissions


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_export": permissions.can_export(user),
        "can_import": permissions.can_import(user),
    }
