//! LOLWUT [VERSION v] [...]: Redis 7.0 prints its version; VERSION 5 and 6 draw the computer
//! art of those releases (Georg Nees's "Schotter" in braille, and an 8-bit city skyline in
//! terminal colours). The art is random, so only its shape can match Redis's; the arithmetic
//! follows Redis's, single precision included, so what is not random comes out identical.

use radish_data::Rng;

use crate::error::Result;
use crate::exec::args::{is, parse_int};
use crate::exec::ctx::Ctx;
use crate::state::REDIS_VERSION;

/// A grid of pixels, each a colour number, 0 off the edges.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i32, height: i32, colour: u8) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![colour; (width * height) as usize],
        }
    }

    fn set(&mut self, x: i32, y: i32, colour: u8) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize] = colour;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// A line from (x1, y1) to (x2, y2), by Bresenham's algorithm.
    fn line(&mut self, (mut x1, mut y1): (i32, i32), (x2, y2): (i32, i32), colour: u8) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        loop {
            self.set(x1, y1, colour);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square of side `size` centred on (x, y), turned by `angle` radians: its corners are
    /// points of the circle around it, a quarter turn apart.
    fn square(&mut self, x: i32, y: i32, size: f32, angle: f32) {
        let size = (f64::from(size) / REDIS_SQRT_2) as f32;
        let size = f64::from(size).round();
        let mut k = (std::f64::consts::FRAC_PI_4 + f64::from(angle)) as f32;
        let mut corners = [(0, 0); 4];
        for corner in &mut corners {
            let k64 = f64::from(k);
            *corner = (
                (k64.sin() * size + f64::from(x)).round() as i32,
                (k64.cos() * size + f64::from(y)).round() as i32,
            );
            k = (k64 + std::f64::consts::FRAC_PI_2) as f32;
        }
        for j in 0..4 {
            self.line(corners[j], corners[(j + 1) % 4], 1);
        }
    }
}

/// The square root of 2 as Redis writes it: its 10 decimals, not the exact constant, decide
/// how sizes round.
#[allow(clippy::approx_constant)]
const REDIS_SQRT_2: f64 = 1.4142135623;

/// C's `rand()`: a number in 0..=RAND_MAX.
fn rand(rng: &mut Rng) -> i32 {
    rng.below(1 << 31) as i32
}
const RAND_MAX: f32 = 2_147_483_647.0;

/// Parses the optional numeric arguments Redis's LOLWUT versions take, then clamps them.
fn numbers<const N: usize>(args: &[&[u8]], defaults: [i64; N], max: [i64; N]) -> Result<[i64; N]> {
    let mut values = defaults;
    for (value, arg) in values.iter_mut().zip(args) {
        *value = parse_int(arg)?;
    }
    for (value, max) in values.iter_mut().zip(max) {
        *value = (*value).clamp(1, max);
    }
    Ok(values)
}

/// LOLWUT 5: [columns] [squares per row] [squares per column]: rows of squares, tilted and
/// shifted at random more and more towards the bottom.
fn schotter(args: &[&[u8]], rng: &mut Rng) -> Result<String> {
    let [cols, per_row, per_col] = numbers(args, [66, 8, 12], [1000, 200, 200])?;
    let (per_row, per_col) = (per_row as i32, per_col as i32);
    let width = cols as i32 * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i32;
    let mut canvas = Canvas::new(width, height, 0);
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0.0;
            if y > 1 {
                let mut r = [0f32; 3];
                for value in &mut r {
                    *value = rand(rng) as f32 / RAND_MAX / per_col as f32 * y as f32;
                }
                for value in &mut r {
                    if rand(rng) % 2 != 0 {
                        *value = -*value;
                    }
                }
                angle = r[0];
                sx = (sx as f32 + r[1] * side / 3.0) as i32;
                sy = (sy as f32 + r[2] * side / 3.0) as i32;
            }
            canvas.square(sx, sy, side, angle);
        }
    }
    // Each braille character shows 2x4 pixels, numbered as its dots are.
    let mut text = String::new();
    for y in (0..canvas.height).step_by(4) {
        for x in (0..canvas.width).step_by(2) {
            let dots = [
                (0, 0),
                (0, 1),
                (0, 2),
                (1, 0),
                (1, 1),
                (1, 2),
                (0, 3),
                (1, 3),
            ];
            let mut byte = 0u32;
            for (bit, (dx, dy)) in dots.into_iter().enumerate() {
                if canvas.get(x + dx, y + dy) != 0 {
                    byte |= 1 << bit;
                }
            }
            text.push(char::from_u32(0x2800 + byte).unwrap_or(' '));
        }
        if y != canvas.height - 1 {
            text.push('\n');
        }
    }
    text.push_str("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ");
    Ok(text)
}

/// One building of the skyline: where, how big, its grey, and lit windows or not.
struct Building {
    x: i32,
    width: i32,
    height: i32,
    windows: bool,
    colour: u8,
}

fn building(canvas: &mut Canvas, b: &Building, rng: &mut Rng) {
    let bottom = canvas.height - 1;
    let top = bottom - b.height + 1;
    for y in (top..=bottom).rev() {
        for x in b.x..b.x + b.width {
            // The roof is four pixels narrower.
            if y == top && (x <= b.x + 1 || x >= b.x + b.width - 2) {
                continue;
            }
            let mut colour = b.colour;
            let inside = x > b.x + 1 && x < b.x + b.width - 2 && y > top + 1 && y < bottom - 1;
            if b.windows && inside {
                let (relx, rely) = (x - (b.x + 1), y - (top + 1));
                // Windows two pixels wide and one tall, as terminal cells are tall.
                if (relx / 2) % 2 != 0 && rely % 2 != 0 {
                    loop {
                        colour = 1 + (rand(rng) % 2) as u8;
                        if colour != b.colour {
                            break;
                        }
                    }
                    if relx % 2 != 0 {
                        colour = canvas.get(x - 1, y);
                    }
                }
            }
            canvas.set(x, y, colour);
        }
    }
}

/// LOLWUT 6: [columns] [rows]: two layers of grey buildings, then black ones with windows.
fn skyline(args: &[&[u8]], rng: &mut Rng) -> Result<String> {
    let [cols, rows] = numbers(args, [80, 20], [1000, 1000])?;
    let mut canvas = Canvas::new(cols as i32, rows as i32, 3);
    let height = canvas.height;
    for colour in [2u8, 1] {
        let mut offset = -10;
        while offset < canvas.width {
            offset += rand(rng) % 8;
            let width = 10 + rand(rng) % 9;
            // The lighter buildings, behind, may be taller.
            let divisor = if colour == 2 { 2 } else { 3 };
            let b = Building {
                x: offset,
                width,
                height: height / 2 + (rand(rng) % height) / divisor,
                windows: false,
                colour,
            };
            building(&mut canvas, &b, rng);
            offset += if colour == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < canvas.width {
        offset += rand(rng) % 8;
        let mut width = 5 + rand(rng) % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let b = Building {
            x: offset,
            width,
            height: height / 3 + (rand(rng) % height) / 2,
            windows: true,
            colour: 0,
        };
        building(&mut canvas, &b, rng);
        offset += width + 5;
    }
    let mut text = String::new();
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            // Foreground and background both set, for the same look in every terminal.
            let escape = match canvas.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            text.push_str(&format!("\x1b[{escape} \x1b[0m"));
        }
        if y != canvas.height - 1 {
            text.push('\n');
        }
    }
    text.push_str(
        "\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image \
         from Plaguemon by hikikomori. Redis ver. ",
    );
    Ok(text)
}

/// LOLWUT [VERSION v] [...].
pub(super) fn lolwut(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut rng = Rng::from_entropy();
    // Redis prints the version with `%u` and tests the text's first characters: only 5 and
    // 6 (as 32-bit unsigned numbers) have art; anything else prints the version.
    let art = if args.len() >= 3 && is(args[1], "version") {
        match parse_int(args[2])? as u32 {
            5 => Some(schotter(&args[3..], &mut rng)?),
            6 => Some(skyline(&args[3..], &mut rng)?),
            _ => None,
        }
    } else {
        None
    };
    let mut text = art.unwrap_or_else(|| "Redis ver. ".to_string());
    text.push_str(REDIS_VERSION);
    text.push('\n');
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}
