"""The adjudication pages' URLs (included by annotations.urls)."""

urlpatterns: list = []
