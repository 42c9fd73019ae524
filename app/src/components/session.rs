//! Who is signed in, for the whole dashboard: the header's sign-in link (or
//! the admin's name and a sign-out button), the sign-in page (its form an
//! island), and the controls only admins see. The server decides what an admin may do; this
//! only keeps people from pressing buttons that would be refused.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::{Login, Logout, get_me};
use crate::error::ApiError;
use crate::model::Me;

/// The signed-in admin (if any), read once per page on the server, and the
/// sign-out action (a plain form: the server answers by sending the browser
/// back to the page).
#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<Me>, ApiError>>,
    pub logout: ServerAction<Logout>,
}

impl Session {
    /// Provides the session to the page being rendered.
    pub fn provide() {
        let logout = ServerAction::<Logout>::new();
        let me = Resource::new(|| (), |_| get_me());
        provide_context(Session { me, logout });
    }

    pub fn expect() -> Self {
        expect_context()
    }
}

/// The header's end: "Sign in", or the admin's name and "Sign out".
#[component]
pub fn SessionMenu() -> impl IntoView {
    let session = Session::expect();
    view! {
        <div class="session">
            <Transition fallback=|| ()>
                {move || {
                    session
                        .me
                        .get()
                        .map(|me| match me {
                            Ok(Some(me)) => {
                                view! {
                                    <span class="muted" data-testid="signed-in">{me.username}</span>
                                    <A href="/digests" attr:data-testid="digests-link">"Digests"</A>
                                    <ActionForm action=session.logout attr:class="sign-out">
                                        <button type="submit" class="theme-toggle" data-testid="sign-out">
                                            "Sign out"
                                        </button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            _ => view! { <A href="/login" attr:data-testid="sign-in">"Sign in"</A> }.into_any(),
                        })
                }}
            </Transition>
        </div>
    }
}

/// Shows `children` to admins and a sign-in link to everyone else.
#[component]
pub fn AdminOnly(
    /// What the sign-in link offers to do, e.g. "collect now".
    action: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let session = Session::expect();
    view! {
        <Transition fallback=|| ()>
            {move || {
                let children = children.clone();
                session
                    .me
                    .get()
                    .map(move |me| match me {
                        Ok(Some(_)) => children().into_any(),
                        _ => {
                            view! {
                                <A href="/login" attr:class="muted" attr:data-testid="sign-in-to">
                                    {format!("Sign in to {action}")}
                                </A>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// `/login`: the admin's username and password. Without JavaScript the
/// form posts to `/api/login` and comes back here, signed in.
#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <h1>"Sign in"</h1>
        <LoginForm />
        <p class="muted">
            "Reading is open to everyone unless the server says otherwise; adding accounts and starting runs need an admin. Admins are created on the server: "
            <code>"reach admin add NAME"</code>
            "."
        </p>
    }
}

/// The sign-in form: says what the server answered, and opens the overview
/// once signed in.
#[island(lazy)]
fn LoginForm() -> impl IntoView {
    crate::preload::island("LoginForm");
    let login = ServerAction::<Login>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            #[cfg(feature = "hydrate")]
            let _ = window().location().assign("/");
        }
    });
    view! {
        <ActionForm action=login attr:class="login-form">
            <label>
                "Username"
                <input type="text" name="username" autocomplete="username" required data-testid="username" />
            </label>
            <label>
                "Password"
                <input
                    type="password"
                    name="password"
                    autocomplete="current-password"
                    required
                    data-testid="password"
                />
            </label>
            <button type="submit" data-testid="sign-in-submit" disabled=move || login.pending().get()>
                "Sign in"
            </button>
        </ActionForm>
        <p class="status-line" role="status" data-testid="login-answer">
            {move || match login.value().get() {
                Some(Err(error)) => error.message,
                Some(Ok(me)) => format!("Signed in as {}.", me.username),
                None => String::new(),
            }}
        </p>
    }
}
