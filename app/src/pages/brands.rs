//! Brands: one creator's or company's accounts across platforms, ranked by
//! combined audience and growth (`/brands`), and one brand with its
//! accounts (`/brands/:id`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_brand, list_brands};
use crate::components::status::{CardSkeleton, ErrorPanel, TableError, TableSkeleton};
use crate::error::ApiError;
use crate::format::{compact, exact, percent, signed};
use crate::model::{BrandDetail, BrandRow, MAX_COMPARED};

/// The brands table's columns.
const COLUMNS: usize = 7;

#[component]
pub fn BrandsPage() -> impl IntoView {
    let brands = Resource::new(|| (), |_| list_brands());
    view! {
        <Title text="Brands" />
        <h1>"Brands"</h1>
        <p class="muted">"One creator's or company's accounts across platforms, with their combined audience. Group accounts with " <code>"reach brand assign"</code> " or a " <code>"brand"</code> " column in an import."</p>
        <div class="table-scroll">
            <table class="data" data-testid="brands-table">
                <thead>
                    <tr>
                        <th scope="col" class="num">"#"</th>
                        <th scope="col">"Brand"</th>
                        <th scope="col">"Platforms"</th>
                        <th scope="col" class="num">"Followers"</th>
                        <th scope="col" class="num">"7 days"</th>
                        <th scope="col" class="num">"30 days"</th>
                        <th scope="col" class="num" title="Rank among brands by 30-day growth">"Growth rank"</th>
                    </tr>
                </thead>
                <Transition fallback=|| view! { <TableSkeleton rows=5 columns=COLUMNS /> }>
                    {move || Suspend::new(async move {
                        match brands.await {
                            Ok(rows) if rows.is_empty() => view! {
                                <tbody><tr><td colspan=COLUMNS class="empty">"No brands yet."</td></tr></tbody>
                            }.into_any(),
                            Ok(rows) => view! {
                                <tbody>{rows.into_iter().map(|brand| view! { <BrandLine brand /> }).collect_view()}</tbody>
                            }.into_any(),
                            Err(error) => view! { <TableError what="the brands" columns=COLUMNS error /> }.into_any(),
                        }
                    })}
                </Transition>
            </table>
        </div>
    }
}

#[component]
fn BrandLine(brand: BrandRow) -> impl IntoView {
    let change = |value: Option<i64>, pct: Option<f64>| {
        view! {
            <td class="num change" class:up=value.is_some_and(|n| n > 0) class:down=value.is_some_and(|n| n < 0)>
                {signed(value)}
                <small>{percent(pct)}</small>
            </td>
        }
    };
    view! {
        <tr data-brand-id=brand.id>
            <td class="num rank">{brand.rank}</td>
            <td><a href=format!("/brands/{}", brand.id)>{brand.name.clone()}</a> <small class="muted">{format!(" {} accounts", brand.accounts)}</small></td>
            <td>{brand.platforms.iter().map(|p| view! { <span class=format!("badge {}", p.as_str())>{p.label()}</span> " " }).collect_view()}</td>
            <td class="num" title=exact(Some(brand.followers))>{compact(Some(brand.followers))}</td>
            {change(brand.change_7d, None)}
            {change(brand.change_30d, brand.percent_30d)}
            <td class="num">{brand.growth_rank.map_or_else(|| "—".to_owned(), |r| r.to_string())}</td>
        </tr>
    }
}

#[component]
pub fn BrandPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    });
    let brand = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_brand(id).await,
                None => Err(ApiError::not_found("this is not a brand address")),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <h1 class="skeleton"><span class="bone wide"></span></h1> <CardSkeleton /> }>
            {move || Suspend::new(async move {
                match brand.await {
                    Ok(data) => view! { <BrandBody data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel what="the brand" error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BrandBody(data: BrandDetail) -> impl IntoView {
    let brand = data.brand;
    let compare = data
        .accounts
        .iter()
        .take(MAX_COMPARED)
        .map(|a| a.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    view! {
        <Title text=brand.name.clone() />
        <h1 data-testid="brand-name">{brand.name.clone()}</h1>
        <p class="muted">
            {format!("#{} of the brands by audience", brand.rank)}
            {brand.growth_rank.map(|r| format!(" · #{r} by 30-day growth"))}
            " · "
            <a href=format!("/compare?ids={compare}&mode=indexed")>"compare its accounts"</a>
        </p>
        <div class="cards">
            <div class="card" data-testid="brand-followers">
                <span class="label">"Combined followers"</span>
                <span class="value" title=exact(Some(brand.followers))>{compact(Some(brand.followers))}</span>
                <span class="sub">{format!("{} accounts on {} platforms", brand.accounts, brand.platforms.len())}</span>
            </div>
            <div class="card">
                <span class="label">"7 days"</span>
                <span class="value" class:up=brand.change_7d.is_some_and(|n| n > 0) class:down=brand.change_7d.is_some_and(|n| n < 0)>{signed(brand.change_7d)}</span>
            </div>
            <div class="card">
                <span class="label">"30 days"</span>
                <span class="value" class:up=brand.change_30d.is_some_and(|n| n > 0) class:down=brand.change_30d.is_some_and(|n| n < 0)>{signed(brand.change_30d)}</span>
                <span class="sub">{percent(brand.percent_30d)}</span>
            </div>
        </div>
        <div class="table-scroll">
        <table class="data" data-testid="brand-accounts">
            <thead>
                <tr>
                    <th scope="col">"Account"</th>
                    <th scope="col">"Platform"</th>
                    <th scope="col" class="num">"Followers"</th>
                    <th scope="col" class="num">"Share"</th>
                    <th scope="col" class="num">"30 days"</th>
                </tr>
            </thead>
            <tbody>
                {data.accounts.into_iter().map(|a| {
                    let share = a
                        .latest
                        .followers
                        .filter(|_| brand.followers > 0)
                        .map(|f| f as f64 * 100.0 / brand.followers as f64);
                    view! {
                        <tr data-account-id=a.id>
                            <td><a class="handle" href=format!("/accounts/{}", a.id)>{a.handle.clone()}</a></td>
                            <td><span class=format!("badge {}", a.platform.as_str())>{a.platform.label()}</span></td>
                            <td class="num" title=exact(a.latest.followers)>{compact(a.latest.followers)}</td>
                            <td class="num">{share.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}%"))}</td>
                            <td class="num change" class:up=a.change_30d.is_some_and(|n| n > 0) class:down=a.change_30d.is_some_and(|n| n < 0)>{signed(a.change_30d)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}
