"""Routes of links between spans and of "seen before" (issue 7)."""

urlpatterns = []
