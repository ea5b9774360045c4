from wagtail.snippets.models import register_snippet

from newsdesk.news.models import Author, Topic

register_snippet(Topic)
register_snippet(Author)
