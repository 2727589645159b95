from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from annotations.admin.guards import guard_every_admin
from annotations.views.health import healthz

# INSTALLED_APPS has SimpleAdminConfig: the ModelAdmins register here, when URLs load.
admin.autodiscover()
# Every ModelAdmin (ours and the packages') refuses hand-made bad ids and dates cleanly.
guard_every_admin(admin.site)
admin.site.site_header = "Factcheck administration"
admin.site.site_title = "Factcheck admin"
admin.site.index_title = "Articles, labels, annotations and people"


@login_not_required
def favicon(request):
    # Resolved per request: in production the hashed name exists only after collectstatic,
    # and importing the URLs (manage.py check, migrate) must not need it.
    return redirect(static("annotations/img/favicon.svg"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("annotations.urls")),
]

handler400 = "annotations.views.errors.bad_request"
handler403 = "annotations.views.errors.permission_denied"
handler404 = "annotations.views.errors.page_not_found"
handler500 = "annotations.views.errors.server_error"
