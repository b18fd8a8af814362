//! LATENCY GRAPH's sparkline, drawn as Redis's `sparkline.c` draws it with its fill style:
//! each sample a column of rows, three heights per row, its label written downwards below.

/// A bar's top within one row, lowest first; a full row below the top is `|`.
const FILL: [u8; 3] = *b"_o#";

/// Blank rows between the bars and the labels.
const LABEL_MARGIN_TOP: usize = 1;

/// Appends the sparkline of `samples` (value and label) to `out`, `columns` samples per
/// block of `rows` rows.
pub(super) fn render(out: &mut String, samples: &[(f64, String)], columns: usize, rows: usize) {
    let Some(&(first, _)) = samples.first() else {
        return;
    };
    let (mut min, mut max) = (first, first);
    for &(value, _) in samples {
        min = min.min(value);
        max = max.max(value);
    }
    for (block, chunk) in samples.chunks(columns).enumerate() {
        if block != 0 {
            out.push('\n');
        }
        render_range(out, chunk, min, max, rows);
    }
}

/// One block of at most a screen's width.
fn render_range(out: &mut String, samples: &[(f64, String)], min: f64, max: f64, rows: usize) {
    let range = max - min;
    let relmax = if range == 0.0 { 1.0 } else { range };
    let steps = (FILL.len() * rows) as i64;
    let mut row = 0;
    loop {
        let mut more = false;
        let mut chars = vec![b' '; samples.len()];
        for (column, (value, label)) in samples.iter().enumerate() {
            // Truncated twice, as Redis's integer cast before and after the division.
            let scaled = ((value - min) * steps as f64) as i64;
            let step = ((scaled as f64 / relmax) as i64).clamp(0, steps - 1);
            if row < rows {
                more = true;
                let index = step - ((rows - row - 1) * FILL.len()) as i64;
                if (0..FILL.len() as i64).contains(&index) {
                    chars[column] = FILL[index as usize];
                } else if index >= FILL.len() as i64 {
                    chars[column] = b'|';
                }
            } else {
                if row - rows < LABEL_MARGIN_TOP {
                    more = true;
                    break;
                }
                if let Some(&byte) = label.as_bytes().get(row - rows - LABEL_MARGIN_TOP) {
                    more = true;
                    chars[column] = byte;
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_rise_by_thirds_of_a_row_and_labels_run_down() {
        let samples = vec![(100.0, "12s".to_string()), (400.0, "1s".to_string())];
        let mut out = String::new();
        render(&mut out, &samples, 80, 4);
        assert_eq!(out, " #\n |\n |\n_|\n  \n11\n2s\ns \n");
    }
}
