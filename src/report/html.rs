//! The self-contained HTML page of a report set: the report's Markdown
//! rendered as HTML, the topology (`topology.svg`) across the page, and
//! every SVG chart embedded inline, two columns side by side on a wide
//! screen and one on a narrow one.

use std::fmt::Write;

/// The page's style: a readable text column, charts in a grid of columns
/// at least 620 px wide (two on a laptop screen, one on a phone), each
/// chart as wide as its column.
const STYLE: &str = "body{font-family:sans-serif;max-width:1500px;margin:2em auto;padding:0 1em}\
main{max-width:1000px}\
pre{white-space:pre-wrap;font-size:12px;background:#f6f6f6;padding:1em}\
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:2px 6px}td.num{text-align:right}\
figure{margin:0}figcaption{font-size:12px;color:#555}\
svg{width:100%;height:auto}\
.topology{margin:1.5em 0;overflow-x:auto}.topology svg{max-height:80vh}\
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(620px,1fr));gap:1.5em 2em;margin-top:1.5em}";

/// The name of the topology drawing in a report set.
const TOPOLOGY: &str = "topology.svg";

/// A self-contained HTML page: the Markdown text, the topology (if `files`
/// has `topology.svg`) and every other SVG in `files`.
pub fn html(markdown: &str, files: &[(String, String)]) -> String {
    let mut o = format!("<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>scaletwin report</title><style>{STYLE}</style></head><body>\n<main>\n");
    markdown_html(&mut o, markdown);
    o.push_str("</main>\n");
    if let Some((_, svg)) = files.iter().find(|(n, _)| n == TOPOLOGY) {
        let _ = writeln!(
            o,
            "<figure class=\"topology\">{}<figcaption>topology: components, and the endpoints that use them</figcaption></figure>",
            strip_xml_declaration(svg)
        );
    }
    o.push_str("<div class=\"charts\">\n");
    for (name, svg) in files
        .iter()
        .filter(|(n, _)| n.ends_with(".svg") && n != TOPOLOGY)
    {
        let _ = writeln!(
            o,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            esc(name)
        );
    }
    o.push_str("</div>\n</body></html>\n");
    o
}

/// An SVG document without its `<?xml ...?>` line, to embed in HTML.
fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest.find("?>").map_or(svg, |end| &rest[end + 2..]),
        None => svg,
    }
}

/// Renders the Markdown the reports write (headings, paragraphs, pipe tables
/// with `---:` right alignment, fenced blocks, `code` spans) as HTML.
fn markdown_html(o: &mut String, markdown: &str) {
    let mut lines = markdown.lines().peekable();
    let mut paragraph: Vec<String> = Vec::new();
    let flush = |o: &mut String, p: &mut Vec<String>| {
        if !p.is_empty() {
            let _ = writeln!(o, "<p>{}</p>", p.join(" "));
            p.clear();
        }
    };
    while let Some(line) = lines.next() {
        if line.starts_with("```") {
            flush(o, &mut paragraph);
            o.push_str("<pre>");
            for l in lines.by_ref().take_while(|l| !l.starts_with("```")) {
                let _ = writeln!(o, "{}", esc(l));
            }
            o.push_str("</pre>\n");
        } else if line.starts_with('#') {
            flush(o, &mut paragraph);
            let level = line.chars().take_while(|&c| c == '#').count().min(6);
            let _ = writeln!(o, "<h{level}>{}</h{level}>", inline(line[level..].trim()));
        } else if line.starts_with('|') {
            flush(o, &mut paragraph);
            let mut rows = vec![line];
            while let Some(l) = lines.next_if(|l| l.starts_with('|')) {
                rows.push(l);
            }
            table_html(o, &rows);
        } else if line.trim().is_empty() {
            flush(o, &mut paragraph);
        } else {
            paragraph.push(inline(line.trim()));
        }
    }
    flush(o, &mut paragraph);
}

/// The cells of one pipe-table row.
fn cells(row: &str) -> Vec<&str> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    row.split('|').map(str::trim).collect()
}

/// A pipe table: header row, alignment row, body rows.
fn table_html(o: &mut String, rows: &[&str]) {
    let right: Vec<bool> = rows
        .get(1)
        .map(|r| cells(r).iter().map(|c| c.ends_with(':')).collect())
        .unwrap_or_default();
    o.push_str("<table>\n<tr>");
    for c in cells(rows[0]) {
        let _ = write!(o, "<th>{}</th>", inline(c));
    }
    o.push_str("</tr>\n");
    for row in rows.iter().skip(2) {
        o.push_str("<tr>");
        for (k, c) in cells(row).into_iter().enumerate() {
            let class = if right.get(k) == Some(&true) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(o, "<td{class}>{}</td>", inline(c));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

/// Escapes text, turns `code` spans into `<code>` and `**bold**` (outside
/// code) into `<strong>`.
fn inline(text: &str) -> String {
    esc(text)
        .split('`')
        .enumerate()
        .map(|(k, part)| {
            if k % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                bold(part)
            }
        })
        .collect()
}

/// `**x**` as `<strong>x</strong>`; an unpaired `**` stays as it is.
fn bold(text: &str) -> String {
    let pieces: Vec<&str> = text.split("**").collect();
    let mut out = String::new();
    for (k, piece) in pieces.iter().enumerate() {
        let closes = k % 2 == 1 && k + 1 < pieces.len();
        if k % 2 == 1 && !closes {
            out.push_str("**");
        }
        if closes {
            out.push_str("<strong>");
            out.push_str(piece);
            out.push_str("</strong>");
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// `s` with `&`, `<` and `>` escaped, for HTML and SVG text.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::chart::{BarChart, Chart, Line};

    /// A line chart whose title needs escaping.
    fn chart() -> Chart {
        Chart {
            title: "latency <vs> users & cost".into(),
            x_label: "active users".into(),
            y_label: "latency, ms".into(),
            lines: vec![Line {
                name: "p99".into(),
                points: vec![(100.0, 40.0, 4.0), (1000.0, 45.0, 0.0)],
                style: None,
            }],
            ..Chart::default()
        }
    }

    #[test]
    fn html_embeds_every_svg() {
        let files = vec![
            ("report.json".to_owned(), "{}".to_owned()),
            ("a.svg".to_owned(), chart().svg()),
            ("b.svg".to_owned(), BarChart::default().svg()),
        ];
        let h = html("# t <x>", &files);
        assert_eq!(h.matches("<svg ").count(), 2);
        assert!(h.contains("<h1>t &lt;x&gt;</h1>"));
        assert!(h.ends_with("</body></html>\n"));
    }

    #[test]
    fn topology_goes_across_the_page_and_charts_into_the_grid() {
        let files = vec![
            ("a.svg".to_owned(), chart().svg()),
            (
                "topology.svg".to_owned(),
                "<?xml version=\"1.0\"?><svg id=\"topo\"></svg>".to_owned(),
            ),
        ];
        let h = html("# t", &files);
        let topology = h
            .find("<figure class=\"topology\"><svg id=\"topo\">")
            .expect("topology");
        let grid = h.find("<div class=\"charts\">").expect("grid");
        let chart = h.find("<figcaption>a.svg</figcaption>").expect("chart");
        assert!(topology < grid && grid < chart, "{h}");
        assert!(!h.contains("<?xml"), "declaration left inside HTML");
        assert!(h.contains("grid-template-columns:repeat(auto-fit,minmax(620px,1fr))"));
        assert!(h.contains("name=\"viewport\""));
    }

    #[test]
    fn html_renders_the_report_markdown() {
        let md = "# stages\n\nSLO: p99 <= 500ms,\nerrors `1%`.\n\n\
                  | stage | p99 ms |\n|---|---:|\n| 100 | 35.1 |\n| 1K | 36.0 |\n\n\
                  ```text\na  <b>\n```\nend";
        let h = html(md, &[]);
        assert!(h.contains("<h1>stages</h1>"), "{h}");
        assert!(
            h.contains("<p>SLO: p99 &lt;= 500ms, errors <code>1%</code>.</p>"),
            "{h}"
        );
        assert!(h.contains("<tr><th>stage</th><th>p99 ms</th></tr>"), "{h}");
        assert!(
            h.contains("<tr><td>1K</td><td class=\"num\">36.0</td></tr>"),
            "{h}"
        );
        assert_eq!(h.matches("<tr>").count(), 3);
        assert!(h.contains("<pre>a  &lt;b&gt;\n</pre>"), "{h}");
        assert!(h.contains("<p>end</p>"), "{h}");
        let h = html("| a |\n|---|\n| **total** |\n\nx ** y and `**z**`", &[]);
        assert!(h.contains("<td><strong>total</strong></td>"), "{h}");
        assert!(h.contains("<p>x ** y and <code>**z**</code></p>"), "{h}");
    }
}
