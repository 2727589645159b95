"""The history pages' URLs (included by annotations.urls)."""

urlpatterns: list = []
