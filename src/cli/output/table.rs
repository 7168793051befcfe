//! Plain text tables for the list commands: a header row, then columns padded to their
//! widest cell (in characters), the last column left ragged.

/// A table being filled row by row.
#[derive(Debug)]
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings.
    pub fn new(header: &[&'static str]) -> Table {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as headings).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row; a line saying so when there are no rows.
    pub fn render(&self, empty: &str) -> String {
        if self.rows.is_empty() {
            return format!("{empty}\n");
        }
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut text = String::new();
            for (i, cell) in cells.enumerate() {
                if i + 1 < columns {
                    text.push_str(cell);
                    let pad = widths[i].saturating_sub(cell.chars().count()) + 2;
                    text.extend(std::iter::repeat_n(' ', pad));
                } else {
                    text.push_str(cell);
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&mut self.header.iter().copied());
        for row in &self.rows {
            line(&mut row.iter().map(String::as_str));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_under_their_headings() {
        let mut t = Table::new(&["page", "status", "url"]);
        t.row(vec!["news".into(), "live".into(), "https://a".into()]);
        t.row(vec!["sport-é".into(), "draft".into(), "https://b".into()]);
        assert_eq!(
            t.render("none"),
            "page     status  url\n\
             news     live    https://a\n\
             sport-é  draft   https://b\n"
        );
        assert_eq!(Table::new(&["a"]).render("no rows"), "no rows\n");
    }
}
