"""A WordPress post's stored body made into HTML: block comments, autop, shortcodes."""

from __future__ import annotations

from newsdesk.importers.wordpress_body import clean_wordpress_body


def test_block_comments_go_and_their_html_stays() -> None:
    body = clean_wordpress_body(
        '<!-- wp:heading {"level":3} -->\n<h3>Section</h3>\n<!-- /wp:heading -->\n\n'
        "<!-- wp:separator /-->\n\n<!-- wp:paragraph -->\n<p>Text.</p>\n<!-- /wp:paragraph -->"
    )
    assert body.html == "<h3>Section</h3>\n<p>Text.</p>"
    assert not body.notes


def test_classic_paragraphs_and_line_breaks_become_html() -> None:
    body = clean_wordpress_body("First line\nsame paragraph.\r\n\r\nSecond paragraph.\n\n\n")
    assert body.html == "<p>First line<br>\nsame paragraph.</p>\n<p>Second paragraph.</p>"


def test_blocks_and_preformatted_text_are_not_wrapped_or_split() -> None:
    body = clean_wordpress_body("<ul>\n<li>one</li>\n</ul>\n\n<pre>a\n\nb</pre>\n\nAfter.")
    assert body.html == "<ul>\n<li>one</li>\n</ul>\n<pre>a\n\nb</pre>\n<p>After.</p>"


def test_a_caption_keeps_its_text_and_counts_the_image() -> None:
    body = clean_wordpress_body(
        '[caption id="a" width="300"]<a href="/x.jpg"><img src="/x.jpg" alt="" /></a> The pier'
        "[/caption]"
    )
    assert body.html == "<p>The pier</p>"
    assert body.notes == {"[caption] shortcode made a paragraph (its image is not imported)": 1}


def test_an_old_style_caption_keeps_its_attribute_text() -> None:
    body = clean_wordpress_body('[caption caption="Old style"]<img src="/x.jpg">[/caption]')
    assert body.html == "<p>Old style</p>"


def test_shortcodes_are_dropped_and_counted_but_bracketed_words_stay() -> None:
    body = clean_wordpress_body(
        'He said [sic] and cited [1].\n\n[gallery]\n\n[gallery ids="1,2"]\n\n'
        '[contact-form-7 id="3"]\n\n[note]Kept text[/note]\n\n'
        "[embed]https://video.example/1[/embed]"
    )
    assert body.html == "<p>He said [sic] and cited [1].</p>\n<p>Kept text</p>"
    assert body.notes == {
        "[gallery] shortcode dropped": 2,
        "[contact-form-7] shortcode dropped": 1,
        "[note] shortcode dropped": 1,
        "[embed] shortcode dropped": 1,
    }


def test_headings_move_into_the_editors_range() -> None:
    body = clean_wordpress_body("<h1>Top</h1>\n\n<h6 id='x'>Small</h6>")
    assert body.html == "<h2>Top</h2>\n<h4 id='x'>Small</h4>"


def test_images_are_counted() -> None:
    body = clean_wordpress_body('<img src="a.jpg">\n\n<p>Text <IMG src="b.svg"></p>')
    assert body.notes == {"image not imported (media files are not supported yet)": 2}
