//! The footer of a paginated table: where the reader is, and links to the
//! pages before and after (plain links, so paging works without the WASM).

use leptos::prelude::*;

#[component]
pub fn PagerFooter(
    /// The table's column count, for the footer to span them all.
    columns: usize,
    /// Where the reader is, e.g. "26–50 of 60 · page 2 of 3".
    status: String,
    current: u32,
    pages: u32,
    /// The address of a page.
    href: impl Fn(u32) -> String + 'static,
    /// The words of the links to the pages before and after.
    #[prop(default = ("← Previous", "Next →"))]
    labels: (&'static str, &'static str),
) -> impl IntoView {
    let (previous, next) = labels;
    view! {
        <tfoot>
            <tr>
                <td colspan=columns>
                    <nav class="pager" aria-label="Pages">
                        <span data-testid="pager-status">{status}</span>
                        // Past the end (an old link): the way back is the last page.
                        {(current > pages).then(|| view! { <a rel="prev" href=href(pages)>"← Last page"</a> })}
                        {(current > 1 && current <= pages).then(|| view! { <a rel="prev" href=href(current - 1)>{previous}</a> })}
                        {(current < pages).then(|| view! { <a rel="next" href=href(current + 1)>{next}</a> })}
                    </nav>
                </td>
            </tr>
        </tfoot>
    }
}
