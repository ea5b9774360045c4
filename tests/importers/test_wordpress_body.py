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


def test_a_caption_becomes_a_figure_with_its_picture_and_text() -> None:
    body = clean_wordpress_body(
        '[caption id="a" width="300"]<a href="/x.jpg"><img src="/x.jpg" alt="" /></a> The pier'
        "[/caption]"
    )
    assert body.html == (
        '<figure><a href="/x.jpg"><img src="/x.jpg" alt="" /></a>'
        "<figcaption>The pier</figcaption></figure>"
    )
    assert body.notes == {}


def test_an_old_style_caption_keeps_its_attribute_text() -> None:
    body = clean_wordpress_body('[caption caption="Old style"]<img src="/x.jpg">[/caption]')
    assert body.html == '<figure><img src="/x.jpg"><figcaption>Old style</figcaption></figure>'


def test_a_caption_without_a_picture_keeps_its_text_as_a_paragraph() -> None:
    body = clean_wordpress_body("[caption]Only words[/caption]")
    assert body.html == "<p>Only words</p>"
    assert body.notes == {"[caption] shortcode without a picture made a paragraph": 1}


def test_shortcodes_are_dropped_and_counted_but_bracketed_words_stay() -> None:
    body = clean_wordpress_body(
        'He said [sic] and cited [1].\n\n[contact-form-7 id="3"]\n\n[note]Kept text[/note]\n\n'
        "[embed]https://video.example/1[/embed]"
    )
    assert body.html == "<p>He said [sic] and cited [1].</p>\n<p>Kept text</p>"
    assert body.notes == {
        "[contact-form-7] shortcode dropped": 1,
        "[note] shortcode dropped": 1,
        "[embed] shortcode dropped": 1,
    }


def test_headings_move_into_the_editors_range() -> None:
    body = clean_wordpress_body("<h1>Top</h1>\n\n<h6 id='x'>Small</h6>")
    assert body.html == "<h2>Top</h2>\n<h4 id='x'>Small</h4>"


def test_a_gallery_becomes_a_figure_per_attachment_until_the_export_is_read() -> None:
    body = clean_wordpress_body('Before.\n\n[gallery ids="61, 62"]\n\n[gallery]\n\nAfter.')
    placeholder = '<figure><img src="https://newsdesk.invalid/wp-attachment/{}"></figure>'
    assert body.html == (
        "<p>Before.</p>\n"
        + placeholder.format(61)
        + placeholder.format(62)
        + "\n"
        + placeholder.format("this-post")
        + "\n<p>After.</p>"
    )
    assert body.notes == {}
