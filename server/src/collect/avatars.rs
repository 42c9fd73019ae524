//! Avatars: after a run, the pictures of accounts whose platform names a
//! new one are fetched, shrunk to a small square JPEG and kept in the
//! database (`db::avatars`), so pages show them from Reach's own origin
//! (their content-security policy allows no other) and instances sharing a
//! database share them.
//!
//! Fetching is bounded: at most `per_run` pictures a run, four at a time,
//! each at most `max_bytes` and only `https` (the addresses come from
//! platforms' answers, which any federated server writes, so Reach asks
//! nothing else); an answer that is not a picture Reach can decode is
//! dropped. A failure keeps the older picture and is tried again when the
//! next run sees the address again.

use std::collections::HashMap;
use std::io::Cursor;
use std::time::Duration;

use chrono::Utc;
use db::generations::Writer;
use futures::StreamExt;
use image::imageops::FilterType;
use image::{ImageReader, Limits, Rgb, RgbImage};
use sea_orm::DatabaseConnection;

/// The side of the square Reach keeps: twice the largest size pages show.
const SIDE: u32 = 96;
const JPEG_QUALITY: u8 = 82;
const AT_ONCE: usize = 4;

/// How many pictures a run fetches, and from where.
#[derive(Clone, Copy, Debug)]
pub struct AvatarSettings {
    /// Most pictures fetched after one run; the others wait for the next.
    pub per_run: usize,
    /// The largest picture downloaded.
    pub max_bytes: usize,
    /// Also fetch `http` addresses (tests' fakes); never in production.
    pub allow_http: bool,
}

impl Default for AvatarSettings {
    fn default() -> Self {
        Self {
            per_run: 100,
            max_bytes: 2 * 1024 * 1024,
            allow_http: false,
        }
    }
}

/// Why a picture was not kept.
#[derive(Debug, thiserror::Error)]
pub enum AvatarError {
    #[error("not an https address")]
    Scheme,
    #[error("the answer was {0}")]
    Status(reqwest::StatusCode),
    #[error("the picture is larger than {0} bytes")]
    TooLarge(usize),
    #[error("cannot fetch it: {0}")]
    Fetch(#[from] reqwest::Error),
    #[error("not a picture Reach can read: {0}")]
    Image(#[from] image::ImageError),
    #[error("the shrinking task failed")]
    Task,
}

/// Fetches and keeps the pictures of `seen` (account, address) whose
/// address differs from the one kept; returns how many were kept.
pub async fn refresh(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    seen: Vec<(i64, String)>,
    settings: AvatarSettings,
    writer: Writer,
) -> usize {
    // The newest address of each account.
    let seen: HashMap<i64, String> = seen.into_iter().collect();
    if seen.is_empty() {
        return 0;
    }
    let ids: Vec<i64> = seen.keys().copied().collect();
    let kept = match db::avatars::sources(db, &ids).await {
        Ok(kept) => kept,
        Err(error) => {
            tracing::warn!(%error, "cannot read the kept avatars");
            return 0;
        }
    };
    let mut wanted: Vec<(i64, String)> = seen
        .into_iter()
        .filter(|(id, url)| kept.get(id) != Some(url))
        .collect();
    wanted.sort_unstable();
    wanted.truncate(settings.per_run);
    let fetched: Vec<(i64, String, Result<Vec<u8>, AvatarError>)> = futures::stream::iter(wanted)
        .map(|(id, url)| async move {
            let picture = fetch(client, &url, settings).await;
            let shrunk = match picture {
                Ok(bytes) => tokio::task::spawn_blocking(move || shrink(&bytes))
                    .await
                    .unwrap_or(Err(AvatarError::Task)),
                Err(error) => Err(error),
            };
            (id, url, shrunk)
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let mut stored = 0;
    for (id, url, picture) in fetched {
        match picture {
            Ok(jpeg) => {
                match db::avatars::store(db, id, &url, "image/jpeg", jpeg, Utc::now(), writer).await
                {
                    Ok(()) => stored += 1,
                    Err(error) => tracing::warn!(account = id, %error, "cannot keep an avatar"),
                }
            }
            Err(error) => tracing::info!(account = id, %error, "avatar not kept"),
        }
    }
    stored
}

/// Downloads a picture, refusing what is not `https` or too large.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    settings: AvatarSettings,
) -> Result<Vec<u8>, AvatarError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| AvatarError::Scheme)?;
    match parsed.scheme() {
        "https" => {}
        "http" if settings.allow_http => {}
        _ => return Err(AvatarError::Scheme),
    }
    let mut response = client
        .get(parsed)
        .header("accept", "image/*")
        .timeout(Duration::from_secs(15))
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(AvatarError::Status(response.status()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > settings.max_bytes as u64)
    {
        return Err(AvatarError::TooLarge(settings.max_bytes));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > settings.max_bytes {
            return Err(AvatarError::TooLarge(settings.max_bytes));
        }
    }
    Ok(bytes)
}

/// The picture as Reach keeps it: the middle square, `SIDE` pixels wide, on
/// white where it was transparent, as a JPEG.
pub fn shrink(bytes: &[u8]) -> Result<Vec<u8>, AvatarError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(8_192);
    limits.max_image_height = Some(8_192);
    limits.max_alloc = Some(128 * 1024 * 1024);
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| AvatarError::Image(image::ImageError::IoError(e)))?;
    reader.limits(limits);
    let picture = reader.decode()?;
    let square = picture
        .resize_to_fill(SIDE, SIDE, FilterType::Triangle)
        .to_rgba8();
    let flat = RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let [r, g, b, a] = square.get_pixel(x, y).0;
        let over_white =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        Rgb([over_white(r), over_white(g), over_white(b)])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode_image(&flat)?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbaImage::from_fn(width, height, |x, _| {
            image::Rgba([
                (x % 256) as u8,
                80,
                160,
                if x < width / 2 { 255 } else { 0 },
            ])
        });
        let mut bytes = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn pictures_become_small_square_jpegs() {
        let jpeg = shrink(&png(400, 300)).unwrap();
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (SIDE, SIDE));
        assert_eq!(
            image::guess_format(&jpeg).unwrap(),
            image::ImageFormat::Jpeg
        );
        assert!(jpeg.len() < 10_000, "{} bytes", jpeg.len());
    }

    #[test]
    fn what_is_not_a_picture_is_refused() {
        assert!(shrink(b"<html>not a picture</html>").is_err());
        assert!(shrink(&png(400, 300)[..100]).is_err());
    }
}
