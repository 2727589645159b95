"""annotations/admin/jobs.py: import jobs and recorded exports in the admin, read-only;
a superuser deletes a finished one, and an export goes with its stored file."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.exporters.jobs import export_storage
from annotations.importers.jobs import job_folder
from annotations.models import ExportRecord, ImportJob
from tests.factories import make_user

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(autouse=True)
def _exports_in_tmp(exports_in_tmp, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def stored_export(user=None, *, file_name="spans.csv", content=b"id,quote\n1,x\n", **fields):
    record = ExportRecord.objects.create(
        created_by=user,
        via=ExportRecord.Via.BACKGROUND,
        status=fields.pop("status", ExportRecord.Status.DONE),
        format="csv",
        file_name=file_name,
        size_bytes=len(content),
        **fields,
    )
    record.storage_path = export_storage().save(f"{record.pk}/{file_name}", ContentFile(content))
    record.save(update_fields=["storage_path"])
    return record


def finished_job(user=None, **fields):
    fields.setdefault("status", ImportJob.Status.DONE)
    return ImportJob.objects.create(created_by=user, **fields)


def assert_escaped(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert "<script>alert" not in html
    assert XSS_ESCAPED in html
    return html


def changelist(model) -> str:
    return reverse(f"admin:annotations_{model._meta.model_name}_changelist")


def change(obj) -> str:
    return reverse(f"admin:annotations_{obj._meta.model_name}_change", args=[obj.pk])


def delete(obj) -> str:
    return reverse(f"admin:annotations_{obj._meta.model_name}_delete", args=[obj.pk])


def bulk_delete(client, model, objs, *, confirm=True):
    data = {"action": "delete_selected", "_selected_action": [str(o.pk) for o in objs]}
    if confirm:
        data["post"] = "yes"
    return client.post(changelist(model), data)


# --- pages ---------------------------------------------------------------------------------


def test_the_import_jobs_list_and_page_show_markup_escaped(admin_client, admin_user):
    job = finished_job(
        admin_user,
        description=f"{XSS}.jsonl",
        articles_created=7,
        spans_created=3,
        problems=2,
        report=[{"name": f"{XSS}.jsonl", "refused": [{"line": 4, "reason": XSS}]}],
    )
    html = assert_escaped(admin_client.get(changelist(ImportJob)))
    assert admin_user.username in html
    html = assert_escaped(admin_client.get(change(job)))
    # The report is the JSON itself, indented, inside a <pre>.
    assert "<pre" in html
    assert "&quot;reason&quot;: &quot;&lt;script&gt;" in html
    assert reverse("import-job", args=[job.pk]) in html


def test_the_exports_list_and_page_show_markup_escaped(admin_client, admin_user):
    record = stored_export(admin_user, file_name=f"{XSS}.csv", filters={"q": XSS})
    html = assert_escaped(admin_client.get(changelist(ExportRecord)))
    assert record.format in html
    html = assert_escaped(admin_client.get(change(record)))
    assert "&quot;q&quot;: &quot;&lt;script&gt;" in html
    assert reverse("export-record", args=[record.pk]) in html
    assert 'alt="True"' in html  # "File still stored", asked of the storage


def test_an_export_whose_file_is_gone_says_so_on_its_page(admin_client):
    record = stored_export()
    export_storage().delete(record.storage_path)
    html = admin_client.get(change(record)).content.decode()
    assert 'alt="False"' in html


def test_search_and_filters_find_records(admin_client):
    alice, bob = make_user("alice", role="none"), make_user("bob", role="none")
    stored_export(alice, file_name="alice-claims.csv")
    stored_export(bob, file_name="bob-verdicts.csv", status=ExportRecord.Status.FAILED)
    finished_job(alice, description="feeds-2024.jsonl")
    finished_job(bob, description="wire.csv", status=ImportJob.Status.FAILED)

    def rows(model, **query):
        response = admin_client.get(changelist(model), query)
        assert response.status_code == 200
        return response.context["cl"].result_count

    assert rows(ExportRecord, q="bob") == 1
    assert rows(ExportRecord, q="claims") == 1
    assert rows(ExportRecord, status__exact="failed") == 1
    assert rows(ExportRecord, via__exact="background") == 2
    assert rows(ImportJob, q="alice") == 1
    assert rows(ImportJob, q="wire") == 1
    assert rows(ImportJob, status__exact="done") == 1


def test_the_lists_cost_the_same_queries_for_more_rows(admin_client):
    def queries(model, add):
        for _ in range(3):
            add(make_user(role="none"))
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(changelist(model)).status_code == 200
        return len(captured)

    for model, add in ((ExportRecord, stored_export), (ImportJob, finished_job)):
        assert queries(model, add) == queries(model, add)


# --- no writes -----------------------------------------------------------------------------


def test_records_cannot_be_added_or_changed(admin_client):
    job = finished_job(description="wire.csv")
    record = stored_export()
    for model in (ImportJob, ExportRecord):
        add = reverse(f"admin:annotations_{model._meta.model_name}_add")
        assert admin_client.get(add).status_code == 403
        assert admin_client.post(add, {"description": "x", "format": "csv"}).status_code == 403
    assert admin_client.post(change(job), {"description": "changed"}).status_code == 403
    assert admin_client.post(change(record), {"file_name": "changed.csv"}).status_code == 403
    assert ImportJob.objects.count() == ExportRecord.objects.count() == 1
    job.refresh_from_db()
    record.refresh_from_db()
    assert (job.description, record.file_name) == ("wire.csv", "spans.csv")


def test_an_editor_sees_the_records_but_cannot_delete_them(client, editor):
    """Editors have the view permissions (migration 0018), not delete."""
    record = stored_export(editor)
    client.force_login(editor)
    assert client.get(changelist(ImportJob)).status_code == 200
    assert client.get(changelist(ExportRecord)).status_code == 200
    assert client.get(change(record)).status_code == 200
    assert client.post(delete(record), {"post": "yes"}).status_code == 403
    assert bulk_delete(client, ExportRecord, [record]).status_code == 200  # no such action
    assert ExportRecord.objects.filter(pk=record.pk).exists()
    assert export_storage().exists(record.storage_path)


# --- deleting ------------------------------------------------------------------------------


def test_deleting_an_export_deletes_its_file_and_folder(admin_client):
    record = stored_export()
    folder = export_storage().path(str(record.pk))
    assert export_storage().exists(record.storage_path)
    response = admin_client.post(delete(record), {"post": "yes"})
    assert response.status_code == 302
    assert not ExportRecord.objects.filter(pk=record.pk).exists()
    assert not export_storage().exists(record.storage_path)
    assert not export_storage().exists(folder)


def test_an_export_whose_file_is_already_gone_still_deletes(admin_client):
    record = stored_export()
    export_storage().delete(record.storage_path)
    response = admin_client.post(delete(record), {"post": "yes"})
    assert response.status_code == 302
    assert not ExportRecord.objects.filter(pk=record.pk).exists()


def test_the_bulk_action_deletes_each_export_with_its_file(admin_client):
    kept = stored_export(file_name="kept.csv")
    chosen = [stored_export(file_name=f"{n}.csv") for n in range(3)]
    export_storage().delete(chosen[0].storage_path)  # one already gone: no matter
    confirm = bulk_delete(admin_client, ExportRecord, chosen, confirm=False)
    assert confirm.status_code == 200
    assert ExportRecord.objects.count() == 4  # only asked to confirm
    response = bulk_delete(admin_client, ExportRecord, chosen)
    assert response.status_code == 302
    assert list(ExportRecord.objects.all()) == [kept]
    assert export_storage().exists(kept.storage_path)
    assert not any(export_storage().exists(r.storage_path) for r in chosen)


def test_a_storage_that_refuses_keeps_the_record_and_says_so(admin_client, monkeypatch):
    record = stored_export()
    storage = export_storage()

    def refuse(name):
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(storage, "delete", refuse)
    response = admin_client.post(delete(record), {"post": "yes"})
    assert response.status_code == 302
    assert ExportRecord.objects.filter(pk=record.pk).exists()
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("would not delete the file of 1 export" in t for t in texts), texts


@pytest.mark.parametrize("status", [ExportRecord.Status.QUEUED, ExportRecord.Status.RUNNING])
def test_a_pending_export_is_not_deleted(admin_client, status):
    record = stored_export(status=status)
    assert admin_client.post(delete(record), {"post": "yes"}).status_code == 403
    response = bulk_delete(admin_client, ExportRecord, [record, stored_export()])
    assert response.status_code == 200
    assert "Cannot delete" in response.content.decode()
    assert f"still {status}" in response.content.decode()
    assert ExportRecord.objects.count() == 2
    assert export_storage().exists(record.storage_path)


def test_deleting_an_import_job_removes_its_leftover_folder(admin_client):
    job = finished_job(status=ImportJob.Status.FAILED)
    folder = job_folder(job.pk)
    folder.mkdir(parents=True)
    (folder / "00001.jsonl").write_text("{}")
    response = admin_client.post(delete(job), {"post": "yes"})
    assert response.status_code == 302
    assert not ImportJob.objects.filter(pk=job.pk).exists()
    assert not folder.exists()


def test_a_running_import_job_is_not_deleted(admin_client):
    job = finished_job(status=ImportJob.Status.RUNNING)
    assert admin_client.post(delete(job), {"post": "yes"}).status_code == 403
    response = bulk_delete(admin_client, ImportJob, [job])
    assert "Cannot delete" in response.content.decode()
    assert ImportJob.objects.filter(pk=job.pk).exists()
