from django.urls import path

from newsdesk.news import feeds, views

app_name = "news"

urlpatterns = [
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("topics/<slug:slug>/feed/rss/", feeds.SiteRssFeed(), name="topic_rss"),
    path("topics/<slug:slug>/feed/atom/", feeds.SiteAtomFeed(), name="topic_atom"),
    path("authors/<slug:slug>/", views.author_detail, name="author"),
    path("search/", views.search, name="search"),
    path("feed/rss/", feeds.SiteRssFeed(), name="rss"),
    path("feed/atom/", feeds.SiteAtomFeed(), name="atom"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("news-sitemap.xml", views.news_sitemap, name="news_sitemap"),
]
