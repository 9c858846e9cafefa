//! The home pages' charts as inline SVG drawn on the server: a line (friends over time) and paired
//! bars (adds up, deletions down), each with its value axis, its dates and every value in a tooltip.
//! The template draws the shapes from the numbers here, so every label passes askama's escaping.

/// The drawing's size in its own units; the SVG scales to the card's width (390 px phones included).
const W: f64 = 400.0;
const H: f64 = 180.0;
/// Room for the value labels on the left and the dates below.
const LEFT: f64 = 34.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;

/// A label on an axis, at `pos` (x for dates, y for values).
#[derive(Debug, Clone)]
pub struct Tick {
    pub pos: String,
    pub label: String,
    /// How a date label hangs from its point: the last one ends there, so it is not cut off.
    pub anchor: &'static str,
}

/// One dot or bar with its tooltip.
#[derive(Debug, Clone)]
pub struct Mark {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub title: String,
}

/// A chart ready to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    pub view: String,
    pub left: String,
    pub right: String,
    pub base: String,
    pub top: String,
    /// The line's points (`x,y x,y …`); empty for bars.
    pub line: String,
    pub dots: Vec<Mark>,
    pub up: Vec<Mark>,
    pub down: Vec<Mark>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    /// Where the value axis's zero is (bars grow up and down from it).
    pub zero: String,
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// A round top for the value axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice(max: i64) -> i64 {
    let max = max.max(1);
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

fn frame(y_ticks: Vec<Tick>, x_ticks: Vec<Tick>, zero: f64) -> Chart {
    Chart {
        view: format!("0 0 {W} {H}"),
        left: f(LEFT),
        right: f(W - RIGHT),
        base: f(H - BOTTOM),
        top: f(TOP),
        line: String::new(),
        dots: Vec::new(),
        up: Vec::new(),
        down: Vec::new(),
        y_ticks,
        x_ticks,
        zero: f(zero),
    }
}

/// Dates along the bottom: every day of a week, else the first, the last and three evenly between.
/// `at_edges`: the first and last points sit on the plot's edges (a line), so their labels hang
/// inwards; bars sit inside their slots and are labelled at their middles.
fn date_ticks(labels: &[String], x: impl Fn(usize) -> f64, at_edges: bool) -> Vec<Tick> {
    let n = labels.len();
    if n == 0 {
        return Vec::new();
    }
    let at: Vec<usize> = if n <= 7 { (0..n).collect() } else { (0..5).map(|i| i * (n - 1) / 4).collect() };
    at.into_iter()
        .map(|i| Tick {
            pos: f(x(i)),
            label: labels[i].clone(),
            anchor: match (at_edges, i) {
                (true, i) if i + 1 == n && n > 1 => "end",
                (true, 0) if n > 1 => "start",
                _ => "middle",
            },
        })
        .collect()
}

/// A line of `values` over `labels` (one per day); `titles` are the tooltips.
pub fn line(labels: &[String], values: &[i64], titles: &[String]) -> Chart {
    let top = nice(values.iter().copied().max().unwrap_or(0));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = values.len().max(1);
    let x = |i: usize| if n == 1 { LEFT + plot_w / 2.0 } else { LEFT + plot_w * i as f64 / (n - 1) as f64 };
    let y = |v: i64| TOP + plot_h * (1.0 - v as f64 / top as f64);
    let y_ticks =
        [0, top / 2, top].iter().map(|v| Tick { pos: f(y(*v)), label: v.to_string(), anchor: "end" }).collect();
    let mut c = frame(y_ticks, date_ticks(labels, x, true), y(0));
    c.line = values.iter().enumerate().map(|(i, v)| format!("{},{}", f(x(i)), f(y(*v)))).collect::<Vec<_>>().join(" ");
    c.dots = values
        .iter()
        .enumerate()
        .map(|(i, v)| Mark {
            x: f(x(i)),
            y: f(y(*v)),
            w: String::new(),
            h: String::new(),
            title: titles.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    c
}

/// Bars per day: `ups` above the axis, `downs` below it; `titles` are the tooltips.
pub fn bars(labels: &[String], ups: &[i64], downs: &[i64], titles: &[String]) -> Chart {
    let max_up = ups.iter().copied().max().unwrap_or(0);
    let max_down = downs.iter().copied().max().unwrap_or(0);
    let top = nice(max_up.max(max_down));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    // The axis sits where the larger side gets its share of the height; with no deletions at all,
    // at the bottom.
    let up_share = if max_down == 0 { 1.0 } else { 0.6 };
    let zero = TOP + plot_h * up_share;
    let n = ups.len().max(1);
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let x = |i: usize| LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
    let scale_up = plot_h * up_share / top as f64;
    let scale_down = plot_h * (1.0 - up_share).max(0.0) / top as f64;
    let mut y_ticks = vec![
        Tick { pos: f(zero), label: "0".into(), anchor: "end" },
        Tick { pos: f(TOP), label: top.to_string(), anchor: "end" },
    ];
    if max_down > 0 {
        let bottom = zero + scale_down * top as f64;
        // Counts below the axis are counts too: labelled without a sign.
        y_ticks.push(Tick { pos: f(bottom), label: top.to_string(), anchor: "end" });
    }
    let mut c = frame(y_ticks, date_ticks(labels, |i| x(i) + bar_w / 2.0, false), zero);
    let mark = |i: usize, y: f64, h: f64| Mark {
        x: f(x(i)),
        y: f(y),
        w: f(bar_w),
        h: f(h),
        title: titles.get(i).cloned().unwrap_or_default(),
    };
    c.up = ups
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > 0)
        .map(|(i, v)| mark(i, zero - *v as f64 * scale_up, *v as f64 * scale_up))
        .collect();
    c.down =
        downs.iter().enumerate().filter(|(_, v)| **v > 0).map(|(i, v)| mark(i, zero, *v as f64 * scale_down)).collect();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_axis_ends_on_a_round_number_at_or_above_the_largest_value() {
        assert_eq!([0, 1, 3, 7, 10, 11, 230, 5000].map(nice), [1, 1, 5, 10, 10, 20, 500, 5000]);
    }

    #[test]
    fn a_line_is_labelled_with_its_dates_and_values() {
        let labels: Vec<String> = (1..=30).map(|d| format!("11-{d:02}")).collect();
        let values: Vec<i64> = (0..30).collect();
        let c = line(&labels, &values, &labels);
        assert_eq!(c.dots.len(), 30);
        assert_eq!(c.x_ticks.first().unwrap().label, "11-01");
        assert_eq!(c.x_ticks.last().unwrap().label, "11-30");
        assert_eq!(c.y_ticks.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["0", "25", "50"]);
    }

    #[test]
    fn bars_go_up_for_adds_and_down_for_deletions() {
        let labels = vec!["a".to_owned(), "b".to_owned()];
        let c = bars(&labels, &[4, 0], &[0, 2], &labels);
        assert_eq!((c.up.len(), c.down.len()), (1, 1));
        let zero: f64 = c.zero.parse().unwrap();
        assert!(c.up[0].y.parse::<f64>().unwrap() < zero && c.down[0].y.parse::<f64>().unwrap() == zero);
        assert_eq!(c.y_ticks.iter().filter(|t| t.label == "5").count(), 2, "5 up and 5 down");
    }
}
