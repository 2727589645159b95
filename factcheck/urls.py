from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "Factcheck administration"
admin.site.site_title = "Factcheck admin"
admin.site.index_title = "Articles, labels, annotations and people"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("annotations.urls")),
]

handler400 = "annotations.views.errors.bad_request"
handler403 = "annotations.views.errors.permission_denied"
handler404 = "annotations.views.errors.page_not_found"
handler500 = "annotations.views.errors.server_error"
