//! Share cards, `/card/{platform}/{handle}` and `/card/brand/{name}`: the
//! page's Open Graph tags and figures, its picture, what a card says of an
//! account it cannot count, framing, and embed tokens.

use app::model::{AccountRow, BrandRow, Platform, TokenScope};
use app::ssr::state::SharingSettings;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    an_account_card_shows_the_stored_figures_and_its_picture,
    a_brand_card_sums_its_accounts,
    a_card_never_invents_a_number,
    framing_and_addresses_follow_the_settings,
    an_embed_token_opens_cards_and_their_pictures,
);

/// RFC 3986's unreserved characters, as the cards write addresses.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn card_path(row: &AccountRow) -> String {
    let handle = percent_encoding::utf8_percent_encode(&row.handle, UNRESERVED);
    format!("/card/{}/{handle}", row.platform.as_str())
}

/// The `content` of the `<meta>` whose `property` or `name` is `key`.
fn meta(html: &str, key: &str) -> Option<String> {
    for attribute in ["property", "name"] {
        let start = format!(r#"<meta {attribute}="{key}" content=""#);
        if let Some(at) = html.find(&start) {
            let rest = &html[at + start.len()..];
            let value = &rest[..rest.find('"').expect("a closing quote")];
            return Some(html_escape::decode_html_entities(value).into_owned());
        }
    }
    None
}

async fn an_account_card_shows_the_stored_figures_and_its_picture(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let row = app.largest_account().await;
    let answer = app.get(&card_path(&row)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "text/html; charset=utf-8");
    let headers = answer.headers().clone();
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert_eq!(headers["x-frame-options"], "DENY");
    let html = answer.text().await.unwrap();
    assert!(!html.contains("<script"));

    let description = meta(&html, "og:description").expect("og:description");
    let followers = row
        .latest
        .followers
        .expect("the largest account has followers");
    assert!(
        description.starts_with(&format!(
            "{} followers on ",
            app::format::grouped(followers)
        )),
        "{description}"
    );
    assert!(description.contains("Demo data"), "{description}");
    assert_eq!(
        meta(&html, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    let page = format!("{}{}", app.address, card_path(&row));
    assert_eq!(meta(&html, "og:url"), Some(page.clone()));
    let image = meta(&html, "og:image").expect("og:image");
    assert_eq!(image, format!("{page}.png"));

    let picture = app.client.get(&image).send().await.unwrap();
    assert_eq!(picture.status(), 200);
    assert_eq!(picture.headers()["content-type"], "image/png");
    assert_eq!(picture.headers()["cache-control"], "public, max-age=300");
    let bytes = picture.bytes().await.unwrap();
    let decoded = image::load_from_memory(&bytes).expect("a PNG");
    assert_eq!((decoded.width(), decoded.height()), (1200, 630));
}

async fn a_brand_card_sums_its_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let brands: Vec<BrandRow> = app.get_json("/api/brands").await;
    let brand = brands.first().expect("the demo set has brands");
    let name = percent_encoding::utf8_percent_encode(&brand.name, UNRESERVED);
    let html = app
        .get(&format!("/card/brand/{name}"))
        .await
        .text()
        .await
        .unwrap();
    let description = meta(&html, "og:description").expect("og:description");
    assert!(
        description.starts_with(&format!(
            "{} followers on Brand",
            app::format::grouped(brand.followers)
        )),
        "{description}"
    );
    let picture = app.get(&format!("/card/brand/{name}.png")).await;
    assert_eq!(picture.status(), 200);
    assert_eq!(picture.headers()["content-type"], "image/png");

    assert_eq!(app.get("/card/brand/No%20such%20brand").await.status(), 404);
    assert_eq!(
        app.get("/card/github/nobody-tracks-this").await.status(),
        404
    );
    assert_eq!(app.get("/card/myspace/tom").await.status(), 400);
    assert_eq!(
        app.get(&format!("/card/brand/{name}?embed=maybe"))
            .await
            .status(),
        400
    );
}

async fn a_card_never_invents_a_number(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_account(Platform::Github, "fresh-account").await;
    let html = app
        .get("/card/github/fresh-account")
        .await
        .text()
        .await
        .unwrap();
    let description = meta(&html, "og:description").unwrap();
    assert_eq!(description, "not collected yet on GitHub.");
    let picture = app.get("/card/github/fresh-account.png").await;
    assert_eq!(picture.status(), 200);

    let row = app.largest_account().await;
    let stored = db::accounts::find(&app.db, row.id).await.unwrap();
    let mut suspended: db::entities::account::ActiveModel = stored.into();
    suspended.state = sea_orm::Set(Some(app::model::AccountState::Suspended));
    sea_orm::ActiveModelTrait::update(suspended, &app.db)
        .await
        .unwrap();
    let html = app.get(&card_path(&row)).await.text().await.unwrap();
    let description = meta(&html, "og:description").unwrap();
    assert!(description.starts_with("suspended on "), "{description}");
    let followers = app::format::grouped(row.latest.followers.unwrap());
    assert!(!html.contains(&followers), "{html}");
}

async fn framing_and_addresses_follow_the_settings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let row = app.largest_account().await;
    let other = app
        .server_sharing(SharingSettings {
            public_url: Some("https://reach.example".into()),
            card_frame_ancestors: Some("https://blog.example".into()),
            ..SharingSettings::default()
        })
        .await;
    let answer = app
        .client
        .get(format!("{other}{}?embed=true", card_path(&row)))
        .send()
        .await
        .unwrap();
    let policy = answer.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.ends_with("frame-ancestors https://blog.example"),
        "{policy}"
    );
    assert!(answer.headers().get("x-frame-options").is_none());
    let html = answer.text().await.unwrap();
    let image = meta(&html, "og:image").unwrap();
    assert_eq!(
        image,
        format!("https://reach.example{}.png", card_path(&row))
    );
    assert!(
        html.contains(r#"target="_blank""#),
        "embedded, links leave the frame"
    );
    // Other pages stay unframeable.
    let page = app
        .client
        .get(format!("{other}/accounts"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
}

async fn an_embed_token_opens_cards_and_their_pictures(backend: Backend) {
    let app = TestApp::private(backend).await;
    app.add_account(Platform::Github, "embedded").await;
    assert_eq!(app.get("/card/github/embedded").await.status(), 401);
    let embed = app.token(TokenScope::Embed).await;
    let html = app
        .get(&format!("/card/github/embedded?token={embed}"))
        .await
        .text()
        .await
        .unwrap();
    let image = meta(&html, "og:image").unwrap();
    assert!(
        image.ends_with(&format!("/card/github/embedded.png?token={embed}")),
        "{image}"
    );
    let picture = app.client.get(&image).send().await.unwrap();
    assert_eq!(picture.status(), 200);
    assert_eq!(app.get("/card/github/embedded.png").await.status(), 401);
}
