//! The console's charts as inline SVG drawn on the server, for every page that has one (the home
//! pages, a channel code's days): a line (friends over time), bars up and down from one axis (adds up,
//! deletions down) and bars side by side (a code's adds beside its deletions, each with its value),
//! all with the same value axis (a round top, grid lines, labels), dates along the bottom and every
//! value in a tooltip. `templates/chart.html` draws them; the numbers are laid out here, so every
//! label passes askama's escaping.

/// A drawing's size in its own units; the SVG scales to its card's width (390 px phones included).
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub w: f64,
    pub h: f64,
    /// Room for the value labels on the left and the dates below.
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

/// The home pages' cards, two side by side on a desktop.
pub const CARD: Size = Size { w: 400.0, h: 180.0, left: 34.0, right: 8.0, top: 10.0, bottom: 22.0 };
/// A chart across a whole page (a channel code's fourteen days, each with its two values written).
pub const WIDE: Size = Size { w: 720.0, h: 220.0, left: 44.0, right: 8.0, top: 28.0, bottom: 24.0 };

/// A label on an axis, at `pos` (x for dates, y for values).
#[derive(Debug, Clone)]
pub struct Tick {
    pub pos: String,
    pub label: String,
    /// How a date label hangs from its point: the last one ends there, so it is not cut off.
    pub anchor: &'static str,
}

/// One dot or bar with its tooltip, and for side-by-side bars its value written above it.
#[derive(Debug, Clone)]
pub struct Mark {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub title: String,
    /// The value written above a bar, its middle at `label_x`; empty: none.
    pub label: String,
    pub label_x: String,
}

/// A chart ready to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    pub view: String,
    /// Wide charts keep a readable size on a phone and scroll sideways inside their card.
    pub wide: bool,
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
    /// What the values and the dates are, written at the axes' ends; empty: none.
    pub y_title: String,
    pub x_title: String,
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

fn frame(s: Size, y_ticks: Vec<Tick>, x_ticks: Vec<Tick>, zero: f64) -> Chart {
    Chart {
        view: format!("0 0 {} {}", s.w, s.h),
        wide: s.w > CARD.w,
        left: f(s.left),
        right: f(s.w - s.right),
        base: f(s.h - s.bottom),
        top: f(s.top),
        line: String::new(),
        dots: Vec::new(),
        up: Vec::new(),
        down: Vec::new(),
        y_ticks,
        x_ticks,
        zero: f(zero),
        y_title: String::new(),
        x_title: String::new(),
    }
}

impl Chart {
    /// Names the axes: what the values count and what the dates are.
    pub fn titled(mut self, y: &str, x: &str) -> Self {
        y.clone_into(&mut self.y_title);
        x.clone_into(&mut self.x_title);
        self
    }
}

/// Labels of the value axis at `0`, half of `top` and `top`, at heights `y`.
fn value_ticks(top: i64, y: impl Fn(i64) -> f64) -> Vec<Tick> {
    [0, top / 2, top].iter().map(|v| Tick { pos: f(y(*v)), label: v.to_string(), anchor: "end" }).collect()
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
pub fn line(s: Size, labels: &[String], values: &[i64], titles: &[String]) -> Chart {
    let top = nice(values.iter().copied().max().unwrap_or(0));
    let plot_w = s.w - s.left - s.right;
    let plot_h = s.h - s.top - s.bottom;
    let n = values.len().max(1);
    let x = |i: usize| if n == 1 { s.left + plot_w / 2.0 } else { s.left + plot_w * i as f64 / (n - 1) as f64 };
    let y = |v: i64| s.top + plot_h * (1.0 - v as f64 / top as f64);
    let mut c = frame(s, value_ticks(top, y), date_ticks(labels, x, true), y(0));
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
            label: String::new(),
            label_x: String::new(),
        })
        .collect();
    c
}

/// Bars per day: `ups` above the axis, `downs` below it; `titles` are the tooltips.
pub fn bars(s: Size, labels: &[String], ups: &[i64], downs: &[i64], titles: &[String]) -> Chart {
    let max_up = ups.iter().copied().max().unwrap_or(0);
    let max_down = downs.iter().copied().max().unwrap_or(0);
    let top = nice(max_up.max(max_down));
    let plot_w = s.w - s.left - s.right;
    let plot_h = s.h - s.top - s.bottom;
    // The axis sits where the larger side gets its share of the height; with no deletions at all,
    // at the bottom.
    let up_share = if max_down == 0 { 1.0 } else { 0.6 };
    let zero = s.top + plot_h * up_share;
    let n = ups.len().max(1);
    let slot = plot_w / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let x = |i: usize| s.left + slot * i as f64 + (slot - bar_w) / 2.0;
    let scale_up = plot_h * up_share / top as f64;
    let scale_down = plot_h * (1.0 - up_share).max(0.0) / top as f64;
    let mut y_ticks = vec![
        Tick { pos: f(zero), label: "0".into(), anchor: "end" },
        Tick { pos: f(s.top), label: top.to_string(), anchor: "end" },
    ];
    if max_down > 0 {
        let bottom = zero + scale_down * top as f64;
        // Counts below the axis are counts too: labelled without a sign.
        y_ticks.push(Tick { pos: f(bottom), label: top.to_string(), anchor: "end" });
    }
    let mut c = frame(s, y_ticks, date_ticks(labels, |i| x(i) + bar_w / 2.0, false), zero);
    let mark = |i: usize, y: f64, h: f64| Mark {
        x: f(x(i)),
        y: f(y),
        w: f(bar_w),
        h: f(h),
        title: titles.get(i).cloned().unwrap_or_default(),
        label: String::new(),
        label_x: String::new(),
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

/// Two bars side by side per day, both standing on the axis: `firsts` (drawn as `up`) and `seconds`
/// (as `down`), each with its value written above it when not zero; every day's date below it.
pub fn pairs(s: Size, labels: &[String], firsts: &[i64], seconds: &[i64], titles: &[String]) -> Chart {
    let top = nice(firsts.iter().chain(seconds).copied().max().unwrap_or(0));
    let plot_w = s.w - s.left - s.right;
    let plot_h = s.h - s.top - s.bottom;
    let base = s.h - s.bottom;
    let y = |v: i64| s.top + plot_h * (1.0 - v as f64 / top as f64);
    let n = firsts.len().max(1);
    let slot = plot_w / n as f64;
    let bar_w = ((slot - 8.0) / 2.0).max(1.0);
    let x = |i: usize| s.left + slot * i as f64 + (slot - 2.0 * bar_w) / 2.0;
    let every_day: Vec<Tick> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| Tick { pos: f(x(i) + bar_w), label: l.clone(), anchor: "middle" })
        .collect();
    let mut c = frame(s, value_ticks(top, y), every_day, base);
    let mark = |i: usize, at: f64, v: i64| Mark {
        x: f(at),
        y: f(y(v)),
        w: f(bar_w),
        h: f(base - y(v)),
        title: titles.get(i).cloned().unwrap_or_default(),
        label: v.to_string(),
        label_x: f(at + bar_w / 2.0),
    };
    c.up = firsts.iter().enumerate().filter(|(_, v)| **v > 0).map(|(i, v)| mark(i, x(i), *v)).collect();
    c.down = seconds.iter().enumerate().filter(|(_, v)| **v > 0).map(|(i, v)| mark(i, x(i) + bar_w, *v)).collect();
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
        let c = line(CARD, &labels, &values, &labels);
        assert_eq!(c.dots.len(), 30);
        assert_eq!(c.x_ticks.first().unwrap().label, "11-01");
        assert_eq!(c.x_ticks.last().unwrap().label, "11-30");
        assert_eq!(c.y_ticks.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["0", "25", "50"]);
    }

    #[test]
    fn bars_go_up_for_adds_and_down_for_deletions() {
        let labels = vec!["a".to_owned(), "b".to_owned()];
        let c = bars(CARD, &labels, &[4, 0], &[0, 2], &labels);
        assert_eq!((c.up.len(), c.down.len()), (1, 1));
        let zero: f64 = c.zero.parse().unwrap();
        assert!(c.up[0].y.parse::<f64>().unwrap() < zero && c.down[0].y.parse::<f64>().unwrap() == zero);
        assert_eq!(c.y_ticks.iter().filter(|t| t.label == "5").count(), 2, "5 up and 5 down");
    }

    #[test]
    fn pairs_stand_side_by_side_on_the_axis_with_their_values_written() {
        let labels: Vec<String> = (1..=14).map(|d| format!("12-{d:02}")).collect();
        let mut adds = vec![0; 14];
        let mut deletions = vec![0; 14];
        (adds[13], deletions[13]) = (7, 1);
        let c = pairs(WIDE, &labels, &adds, &deletions, &labels);
        assert_eq!((c.up.len(), c.down.len(), c.x_ticks.len()), (1, 1, 14), "every day is labelled");
        assert_eq!(c.y_ticks.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["0", "5", "10"]);
        let (up, down) = (&c.up[0], &c.down[0]);
        let bottom = |m: &Mark| m.y.parse::<f64>().unwrap() + m.h.parse::<f64>().unwrap();
        assert_eq!((bottom(up), bottom(down)), (196.0, 196.0), "both stand on the axis");
        assert!(up.h.parse::<f64>().unwrap() > down.h.parse::<f64>().unwrap());
        assert!(down.x.parse::<f64>().unwrap() > up.x.parse::<f64>().unwrap(), "side by side");
        assert_eq!((up.label.as_str(), down.label.as_str()), ("7", "1"));
        assert!(c.wide && !line(CARD, &labels, &adds, &labels).wide);
    }
}
