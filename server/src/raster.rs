//! SVG rasterised to PNG (share cards, digests' charts) with resvg, its text in DejaVu Sans from
//! the `dejavu` crate: no system fonts, so the picture is the same on every
//! machine, and nothing is fetched. Rasterising takes tens of milliseconds
//! of CPU, so it runs on the blocking pool, a bounded number at a time.

use std::sync::Arc;

use resvg::{tiny_skia, usvg};
use tokio::sync::Semaphore;

/// The rasteriser: its fonts, loaded once, and how many cards it draws at
/// once (the rest wait: a burst of link previews cannot take every core).
#[derive(Clone)]
pub struct Rasteriser {
    fonts: Arc<usvg::fontdb::Database>,
    permits: Arc<Semaphore>,
}

impl Default for Rasteriser {
    fn default() -> Self {
        Self::new()
    }
}

impl Rasteriser {
    pub fn new() -> Self {
        let mut fonts = usvg::fontdb::Database::new();
        // Read in place from the binary, not copied.
        for font in [dejavu::sans::regular(), dejavu::sans::bold()] {
            fonts.load_font_source(usvg::fontdb::Source::Binary(Arc::new(font)));
        }
        fonts.set_sans_serif_family("DejaVu Sans");
        Self {
            fonts: Arc::new(fonts),
            permits: Arc::new(Semaphore::new(2)),
        }
    }

    /// `svg` as PNG bytes.
    pub async fn png(&self, svg: String) -> anyhow::Result<Vec<u8>> {
        let _permit = self.permits.acquire().await?;
        let fonts = self.fonts.clone();
        tokio::task::spawn_blocking(move || rasterise(&svg, fonts)).await?
    }
}

fn rasterise(svg: &str, fonts: Arc<usvg::fontdb::Database>) -> anyhow::Result<Vec<u8>> {
    let options = usvg::Options {
        fontdb: fonts,
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| anyhow::anyhow!("a card of {size:?} cannot be drawn"))?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    Ok(pixmap.encode_png()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn text_is_drawn_with_the_bundled_font() {
        let rasteriser = Rasteriser::new();
        let blank = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><rect width="200" height="60" fill="#fff"/></svg>"##;
        let with_text = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60" font-family="DejaVu Sans"><rect width="200" height="60" fill="#fff"/><text x="10" y="40" font-size="30">12.3K</text></svg>"##;
        let blank = rasteriser.png(blank.to_owned()).await.unwrap();
        let drawn = rasteriser.png(with_text.to_owned()).await.unwrap();
        assert!(drawn.starts_with(b"\x89PNG"));
        let dark = |png: &[u8]| {
            let image = image::load_from_memory(png).unwrap().to_luma8();
            assert_eq!(image.dimensions(), (200, 60));
            image.pixels().filter(|p| p.0[0] < 128).count()
        };
        assert_eq!(dark(&blank), 0);
        // Without a font, text is silently not drawn: the count shows it is.
        assert!(dark(&drawn) > 100, "{} dark pixels", dark(&drawn));
    }
}
