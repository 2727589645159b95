from django.http import HttpResponse


def export_page(request):  # placeholder until the export page lands
    return HttpResponse("Export page coming", content_type="text/plain")


def export_download(request):  # placeholder
    return HttpResponse("", content_type="text/plain")
