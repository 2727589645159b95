"""The collections pages' URLs (included by annotations.urls)."""

urlpatterns: list = []
