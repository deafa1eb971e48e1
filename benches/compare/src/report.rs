//! Result tables: absolute medians, ratios to a baseline engine and a geometric-mean row.

use std::fmt;
use std::time::Duration;

/// One measurement in a table.
#[derive(Clone, Debug)]
pub enum Cell {
    /// A time, optionally flagged (e.g. `WRONG` for a checksum mismatch).
    Value(Duration, Option<&'static str>),
    /// The engine failed; the message goes to the failure list, the cell shows `n/a`.
    Failed,
    /// Nothing measured.
    Missing,
}

impl Cell {
    /// The time of a cell holding one.
    pub fn time(&self) -> Option<Duration> {
        match self {
            Cell::Value(d, _) => Some(*d),
            _ => None,
        }
    }
}

/// A table of one phase: one row per workload, one column per engine.
pub struct Table {
    title: String,
    columns: Vec<String>,
    baseline: Option<usize>,
    rows: Vec<(String, Vec<Cell>)>,
}

impl Table {
    /// An empty table; ratios are relative to column `baseline`, if any.
    pub fn new(title: &str, columns: &[String], baseline: Option<usize>) -> Table {
        Table {
            title: title.to_string(),
            columns: columns.to_vec(),
            baseline,
            rows: Vec::new(),
        }
    }

    /// Adds the row of workload `name`.
    pub fn push_row(&mut self, name: &str, cells: Vec<Cell>) {
        self.rows.push((name.to_string(), cells));
    }

    /// Makes ratios relative to column `baseline`.
    pub fn set_baseline(&mut self, baseline: Option<usize>) {
        self.baseline = baseline;
    }

    /// Whether any row has a time in `column`.
    pub fn column_has_values(&self, column: usize) -> bool {
        self.rows
            .iter()
            .any(|(_, cells)| cells.get(column).and_then(Cell::time).is_some())
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Time of `cell` relative to the baseline cell of the same row.
    fn ratio(&self, cells: &[Cell], column: usize) -> Option<f64> {
        let base = cells.get(self.baseline?)?.time()?.as_secs_f64();
        let time = cells.get(column)?.time()?.as_secs_f64();
        (base > 0.0).then(|| time / base)
    }

    /// Geometric means per column over the rows `keep` selects: of the times (over the rows
    /// where the column has a value) and of the ratios (over the rows where both it and the
    /// baseline have one).
    fn geomeans(&self, keep: impl Fn(&str) -> bool) -> Vec<(Option<Duration>, Option<f64>)> {
        let rows: Vec<&(String, Vec<Cell>)> =
            self.rows.iter().filter(|(name, _)| keep(name)).collect();
        (0..self.columns.len())
            .map(|column| {
                let times: Vec<f64> = rows
                    .iter()
                    .filter_map(|(_, cells)| cells.get(column)?.time())
                    .map(|d| d.as_secs_f64())
                    .collect();
                let ratios: Vec<f64> = rows
                    .iter()
                    .filter_map(|(_, cells)| self.ratio(cells, column))
                    .collect();
                (
                    geomean(&times).map(Duration::from_secs_f64),
                    geomean(&ratios),
                )
            })
            .collect()
    }
}

fn geomean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|&v| v <= 0.0) {
        return None;
    }
    let log_sum: f64 = values.iter().map(|v| v.ln()).sum();
    Some((log_sum / values.len() as f64).exp())
}

/// A duration with 3-4 significant digits and a unit.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else if secs >= 1e-6 {
        format!("{:.2} us", secs * 1e6)
    } else {
        format!("{:.0} ns", secs * 1e9)
    }
}

fn format_cell(time: Option<Duration>, ratio: Option<f64>, flag: Option<&str>, na: bool) -> String {
    let Some(time) = time else {
        return if na {
            "n/a".to_string()
        } else {
            "-".to_string()
        };
    };
    let mut text = format_duration(time);
    if let Some(ratio) = ratio {
        text.push_str(&format!(" ({ratio:.2}x)"));
    }
    if let Some(flag) = flag {
        text.push_str(&format!(" {flag}"));
    }
    text
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut grid: Vec<Vec<String>> = Vec::new();
        let mut header = vec!["workload".to_string()];
        header.extend(self.columns.iter().cloned());
        grid.push(header);
        for (name, cells) in &self.rows {
            let mut line = vec![name.clone()];
            for (column, cell) in cells.iter().enumerate() {
                let flag = match cell {
                    Cell::Value(_, flag) => *flag,
                    _ => None,
                };
                line.push(format_cell(
                    cell.time(),
                    self.ratio(cells, column),
                    flag,
                    matches!(cell, Cell::Failed),
                ));
            }
            grid.push(line);
        }
        // The SIMD builds of workloads (`NAME-simd`) get a geomean of their own, so that the
        // scalar one stays comparable with tables that have none.
        let is_simd = |name: &str| name.ends_with("-simd");
        let simd_rows = self.rows.iter().filter(|(name, _)| is_simd(name)).count();
        let mut summaries: Vec<(&str, Vec<(Option<Duration>, Option<f64>)>)> = Vec::new();
        if simd_rows == 0 {
            if self.rows.len() > 1 {
                summaries.push(("geomean", self.geomeans(|_| true)));
            }
        } else {
            summaries.push(("geomean (scalar)", self.geomeans(|name| !is_simd(name))));
            summaries.push(("geomean (SIMD)", self.geomeans(is_simd)));
        }
        let first_summary = grid.len();
        for (label, means) in &summaries {
            let mut line = vec![label.to_string()];
            for (time, ratio) in means {
                line.push(format_cell(*time, *ratio, None, true));
            }
            grid.push(line);
        }
        let widths: Vec<usize> = (0..grid[0].len())
            .map(|c| {
                grid.iter()
                    .map(|row| row[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        writeln!(f, "## {}", self.title)?;
        for (i, row) in grid.iter().enumerate() {
            if i == 1 || (!summaries.is_empty() && i == first_summary) {
                let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
                writeln!(f, "{}", rule.join("-+-"))?;
            }
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (text, &w))| {
                    if c == 0 {
                        format!("{text:<w$}")
                    } else {
                        format!("{text:>w$}")
                    }
                })
                .collect();
            writeln!(f, "{}", cells.join(" | "))?;
        }
        Ok(())
    }
}
