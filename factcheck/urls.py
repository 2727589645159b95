from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Factcheck administration"
admin.site.site_title = "Factcheck admin"
admin.site.index_title = "Articles, labels, annotations and people"

urlpatterns = [
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static("annotations/img/favicon.svg"))),
    ),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("annotations.urls")),
]

handler400 = "annotations.views.errors.bad_request"
handler403 = "annotations.views.errors.permission_denied"
handler404 = "annotations.views.errors.page_not_found"
handler500 = "annotations.views.errors.server_error"
