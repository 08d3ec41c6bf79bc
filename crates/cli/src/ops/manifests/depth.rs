//! A linear pre-scan of YAML/JSON text for the nesting of flow collections (`[ ]`, `{ }`),
//! run before the parser sees the text. libyaml re-checks every open flow level on each
//! token, so a document nested 100,000 deep takes tens of seconds before serde_yaml's own
//! depth limit stops it; this scan stops at the first bracket past [`MAX_DEPTH`].
//!
//! It follows just enough YAML not to count brackets inside quoted scalars, comments, block
//! scalars (`|`, `>`) or in the middle of plain scalars (`image: repo[1]`). It validates
//! nothing else: the parser does. Block (indentation) nesting is not counted: it costs the
//! parser nothing per level, and the file size bound keeps it small.

/// Deepest flow nesting accepted. Kubernetes objects nest about a dozen levels, even as JSON
/// with `managedFields`; serde_yaml itself gives up at 128.
pub const MAX_DEPTH: usize = 100;

/// Where the text first nests deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based document index in the file.
    pub document: usize,
    /// 1-based line.
    pub line: usize,
}

/// `Ok` when no flow collection of `text` nests deeper than [`MAX_DEPTH`].
///
/// # Errors
/// [`TooDeep`] naming the document and line of the first bracket past the limit.
pub fn check(text: &str) -> Result<(), TooDeep> {
    let mut scan = Scan {
        document: 1,
        ..Scan::default()
    };
    for (index, line) in text.lines().enumerate() {
        if scan.line(line).is_err() {
            return Err(TooDeep {
                document: scan.document,
                line: index + 1,
            });
        }
    }
    Ok(())
}

/// The scanner's state between lines.
#[derive(Debug, Default)]
struct Scan {
    /// Open flow collections.
    depth: usize,
    /// Inside a quoted scalar opened by this quote character.
    quote: Option<char>,
    /// The previous character inside a double-quoted scalar was a backslash.
    escaped: bool,
    /// Inside a block scalar whose parent line has this indentation.
    block_parent: Option<usize>,
    /// 1-based document index.
    document: usize,
    /// The current document has content (so the next `---` starts a new one).
    content: bool,
}

impl Scan {
    /// Scans one line; `Err` once the depth passes the limit.
    fn line(&mut self, line: &str) -> Result<(), ()> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(parent) = self.block_parent {
            if blank || indent > parent {
                return Ok(());
            }
            self.block_parent = None;
        }
        let mut rest = line;
        if self.depth == 0 && self.quote.is_none() && is_separator(line) {
            if self.content {
                self.document += 1;
                self.content = false;
            }
            rest = &line[3..];
        }
        if !blank && !line.trim_start().starts_with('#') {
            self.content = true;
        }
        let code = self.chars(rest)?;
        if self.depth == 0 && self.quote.is_none() && opens_block_scalar(code) {
            self.block_parent = Some(indent);
        }
        Ok(())
    }

    /// Scans the characters of one line; returns the part before any comment.
    fn chars<'a>(&mut self, line: &'a str) -> Result<&'a str, ()> {
        let mut token_start = true;
        let mut prev = ' ';
        for (at, c) in line.char_indices() {
            if let Some(q) = self.quote {
                self.in_quote(q, c);
            } else if c == '#' && prev.is_whitespace() {
                return Ok(&line[..at]);
            } else if (c == '"' || c == '\'') && token_start {
                self.quote = Some(c);
            } else if (c == '[' || c == '{') && (token_start || self.depth > 0) {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(());
                }
            } else if (c == ']' || c == '}') && self.depth > 0 {
                self.depth -= 1;
            }
            token_start = match c {
                _ if c.is_whitespace() => token_start || matches!(prev, ':' | '-' | '?'),
                // In flow context a value may follow `:` without a space (JSON).
                '[' | '{' | ',' | ':' => self.depth > 0,
                _ => false,
            };
            prev = c;
        }
        Ok(line)
    }

    fn in_quote(&mut self, q: char, c: char) {
        if q == '"' && c == '\\' && !self.escaped {
            self.escaped = true;
            return;
        }
        // A doubled '' inside single quotes closes and reopens: same depth either way.
        if c == q && !self.escaped {
            self.quote = None;
        }
        self.escaped = false;
    }
}

/// A `---` document separator at the start of a line.
fn is_separator(line: &str) -> bool {
    line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace)
}

/// The line (comment removed) ends with a block scalar header: `|`, `>`, `|-`, `>+2`, ….
fn opens_block_scalar(code: &str) -> bool {
    let t = code
        .trim_end()
        .trim_end_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit());
    let Some(head) = t.strip_suffix(['|', '>']) else {
        return false;
    };
    head.chars().next_back().is_none_or(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!("kind: Node\nspec: {}1{}\n", "[".repeat(n), "]".repeat(n))
    }

    #[test]
    fn nesting_up_to_the_limit_passes_and_one_more_level_is_refused() {
        assert_eq!(check(&nested(MAX_DEPTH)), Ok(()));
        assert_eq!(
            check(&nested(MAX_DEPTH + 1)),
            Err(TooDeep {
                document: 1,
                line: 2
            })
        );
    }

    #[test]
    fn the_error_names_the_document_after_separators() {
        let text = format!("---\nkind: Node\n---\n{}", nested(100_000));
        assert_eq!(
            check(&text),
            Err(TooDeep {
                document: 2,
                line: 5
            })
        );
    }

    #[test]
    fn brackets_in_quotes_comments_block_scalars_and_plain_scalars_do_not_count() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        let cases = [
            format!("a: \"{deep}\"\n"),
            format!("a: '{deep}'\n"),
            format!("a: 1 # {deep}\n"),
            format!("a: |\n  {deep}\n  more\nb: 1\n"),
            format!("image: repo{deep}\n"),
            format!("a: \"x\\\"{deep}\"\n"),
            format!("{{\"a\":\"{deep}\"}}\n"),
        ];
        for text in cases {
            assert_eq!(check(&text), Ok(()), "{text}");
        }
    }

    #[test]
    fn json_and_multi_line_flow_collections_are_counted() {
        let json = format!(
            "{{\"kind\":\"Node\",\"a\":\n{}\n{}}}",
            "{\"b\":".repeat(MAX_DEPTH),
            "}".repeat(MAX_DEPTH)
        );
        assert_eq!(
            check(&json),
            Err(TooDeep {
                document: 1,
                line: 2
            })
        );
    }
}
