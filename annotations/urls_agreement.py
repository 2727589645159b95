"""The agreement pages' URLs (included by annotations.urls)."""

urlpatterns: list = []
