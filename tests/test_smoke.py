def test_article_page_shows_headline_and_sections(client, make_article):
    article = make_article("Harbour wall repaired", body="<h2>The work</h2><p>Done.</p>")
    response = client.get(article.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="headline">Harbour wall repaired</h1>' in html
    assert '<h2 id="the-work">The work</h2>' in html
