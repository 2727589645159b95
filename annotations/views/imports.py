from django.http import HttpResponse


def import_page(request):  # placeholder until the import page lands
    return HttpResponse("Import page coming", content_type="text/plain")
