"""python manage.py assign_articles --collection NAME --to USER [USER...]
                                   (--article ID,... | --unassigned) [--per-article K]

Spreads the articles over the reviewers named (members of the collection), K reviewers
an article (default: the collection's setting), balancing their open work; existing
assignments are kept and counted, so running it twice adds nothing. Prints each
assignment made.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotations.desk_queries import unassigned_article_ids
from annotations.history import recording_origin
from annotations.models import Article, Collection
from annotations.services import assignments


class Command(BaseCommand):
    help = "Assign a collection's articles to its reviewers, round robin."

    def add_arguments(self, parser):
        parser.add_argument("--collection", required=True, metavar="NAME")
        parser.add_argument("--to", required=True, nargs="+", metavar="USER", dest="to")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--article", metavar="ID,...", help="Article ids, comma-separated.")
        which.add_argument(
            "--unassigned",
            action="store_true",
            help="Every article of the collection that nobody is assigned yet.",
        )
        parser.add_argument("--per-article", type=int, metavar="K", dest="per_article")

    def handle(
        self, *args, collection, to, article=None, unassigned=False, per_article=None, **options
    ):
        found = Collection.objects.filter(name__iexact=collection.strip()).first()
        if found is None:
            known = ", ".join(Collection.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No collection named “{collection}”. Collections: {known}.")
        if per_article is not None and per_article < 1:
            raise CommandError("--per-article must be at least 1.")
        reviewers = [self._user(name) for name in to]
        if article:
            ids = _ids(article)
        elif unassigned:
            ids = unassigned_article_ids(found)
            if not ids:
                self.stdout.write(f"Nothing to assign: every article of {found.name} is assigned.")
                return
        else:
            raise CommandError("Say which articles: --article ID,... or --unassigned.")
        try:
            with recording_origin("command"):
                result = assignments.assign(found, ids, reviewers, None, per_article=per_article)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self._report(found, result)

    def _user(self, username):
        User = get_user_model()
        user = User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).first()
        if user is None:
            raise CommandError(f"No user named “{username}”.")
        return user

    def _report(self, collection, result):
        if not result.created:
            self.stdout.write("Nothing to assign: those articles already have their reviewers.")
            return
        titles = dict(
            Article.objects.filter(pk__in={a.article_id for a in result.created}).values_list(
                "pk", "title"
            )
        )
        for row in result.created:
            title = titles.get(row.article_id, "")
            self.stdout.write(f"#{row.article_id} “{title}” → {row.reviewer.get_username()}")
        made = len(result.created)
        self.stdout.write(
            self.style.SUCCESS(
                f"{made} assignment{'s' if made != 1 else ''} made in {collection.name}."
            )
        )
        if result.already_covered:
            self.stdout.write(f"{len(result.already_covered)} already had their reviewers.")
        if result.short:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(result.short)} still need more reviewers than were named: "
                    + ", ".join(f"#{pk}" for pk in result.short)
                )
            )


def _ids(raw: str) -> list[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and len(p) < 12 for p in parts):
        raise CommandError(f"--article takes article ids separated by commas, not “{raw}”.")
    return [int(p) for p in parts]
