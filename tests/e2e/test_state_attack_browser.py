"""The account-linking attack of docs/sdk-state-attack.md, in Chromium, against real servers.

- threelo: ``threelo serve`` as its own process on 127.0.0.1 with its own SQLite file.
- Incidents: the example app under uvicorn on 127.0.0.1 (its callback registered on the threelo
  app), configured with that threelo's URL and the app's client id and secret. Its outbound HTTP
  client records every request, so token requests are counted; threelo's store is read as well,
  to count the token families it started (each one is a redeemed code).
- The attacker's site: 127.0.0.2 (another site for the browser).

Mallory and Edward each have a browser context of their own (cookie jars), and each is signed in
to the Incidents app as themself. threelo's cookie (``threelo_session``) and the app's
(``incidents_session``) share the host 127.0.0.1, as cookies ignore ports: they never collide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from threelo.sdk import ClientConfig, ThreeLOClient

from .browser_steps import (
    answer_consent,
    capture_redirect,
    lure_page,
    on_dialog,
    press_connect_jira,
    responses_to,
    sign_in_to_app,
    sign_in_to_threelo,
    token_families,
)
from .conftest import RealThreeLO, RunningIncidents
from .harness import READER_CALLBACK, ConsentDriver, LureSite, query_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Contexts = Callable[..., Any]
Incidents = Callable[..., RunningIncidents]

CONFIDENTIAL = "CONFIDENTIAL: payroll export left on a public share"


def mallory_stops_at_her_callback(
    new_context: Contexts, app: RunningIncidents, threelo: RealThreeLO
) -> str:
    """Steps 1-2 of the attack: Mallory connects her own Jira and keeps the callback URL."""
    page = new_context().new_page()
    sign_in_to_app(page, app.url, "mallory")
    press_connect_jira(page)
    sign_in_to_threelo(page, threelo.url, threelo.seed.mallory)
    captured = capture_redirect(page, f"{threelo.url}/authorize/consent")
    answer_consent(page, "allow", site=threelo.seed.mallory_labs)
    callback = captured.wait("Mallory's callback")
    assert callback.startswith(f"{app.url}/callback?")
    assert set(query_of(callback)) >= {"code", "state", "iss"}
    assert app.recorder.sent == []  # the app never saw it
    return callback


def edward_opens_the_lure(
    new_context: Contexts, app: RunningIncidents, lure_site: LureSite, target: str
) -> tuple[Any, list[Any]]:
    """Step 3: Edward, signed in to the app, opens a page of Mallory's that forwards him."""
    page = new_context().new_page()
    sign_in_to_app(page, app.url, "edward")
    callbacks = responses_to(page, f"{app.url}/callback")
    lure_site.pages["/stats"] = lure_page(target)
    page.goto(f"{lure_site.url}/stats")
    page.wait_for_function("location.hostname === '127.0.0.1'")
    page.wait_for_load_state()
    assert len(callbacks) == 1
    return page, callbacks


def mallorys_own_connection(threelo: RealThreeLO) -> tuple[ThreeLOClient, Any]:
    """A token Mallory gets for herself, through an app she registered (not the Incidents app)."""
    seed = threelo.seed
    sdk = ThreeLOClient(
        ClientConfig(
            client_id=seed.reader_client_id,
            client_secret=seed.reader_secret,
            callback_url=READER_CALLBACK,
            scopes=("read:me", "read:jira-work"),
            auth_base_url=threelo.url,
            api_base_url=threelo.url,
        )
    )
    person = ConsentDriver(threelo.url)
    try:
        person.sign_in(seed.mallory)
        session: dict[str, Any] = {}
        sdk.complete(session, person.consent(sdk.begin(session)), token_key="mallory")
    finally:
        person.close()
    return sdk, sdk.connection("mallory")


def test_seed_attack_without_the_state_check_files_edwards_incident_in_mallorys_jira(
    browser: Any,
    new_context: Contexts,
    incidents: Incidents,
    real_threelo: RealThreeLO,
    lure_site: LureSite,
) -> None:
    app = incidents(unsafe=True)
    seed = real_threelo.seed
    callback = mallory_stops_at_her_callback(new_context, app, real_threelo)

    edward, responses = edward_opens_the_lure(new_context, app, lure_site, callback)

    assert responses[0].status == 303  # the naive callback exchanged Mallory's code
    assert app.token_requests() == 1
    link = app.state.links["edward"]
    assert (link.account_id, link.name) == (seed.mallory.account_id, seed.mallory.name)
    assert edward.locator("#unsafe-banner").is_visible()

    # Edward carries on as usual: picks the only site offered and reports an incident.
    edward.goto(f"{app.url}/sites")
    edward.check(f'input[name="cloud_id"][value="{seed.mallory_labs}"]')
    edward.click('form[action="/sites"] button')
    edward.wait_for_selector("#link")
    assert "Connected to Jira as Mallory Example" in edward.inner_text("#link")
    edward.goto(f"{app.url}/incidents/new")
    edward.fill('input[name="summary"]', CONFIDENTIAL)
    edward.fill('textarea[name="description"]', "Salaries of all staff, readable by anyone.")
    edward.click('form[action="/incidents"] button')
    edward.wait_for_selector("text=Your reports")
    [incident] = app.state.incidents
    assert (incident.reporter, incident.summary) == ("edward", CONFIDENTIAL)

    # Mallory reads it in her own Jira site with her own token.
    sdk, mallory = mallorys_own_connection(real_threelo)
    with sdk:
        project = incident.key.split("-")[0]
        found = mallory.call(
            "jira",
            seed.mallory_labs,
            "GET",
            "rest/api/3/search",
            params={"jql": f"project={project}"},
        )
        assert found.status_code == 200, found.text
        summaries = [i["fields"]["summary"] for i in found.json()["issues"]]
        assert CONFIDENTIAL in summaries
        issue = mallory.call("jira", seed.mallory_labs, "GET", f"rest/api/3/issue/{incident.key}")
        assert issue.json()["fields"]["summary"] == CONFIDENTIAL


def test_seed_attack_is_refused_by_the_sdk_and_nothing_is_linked(
    browser: Any,
    new_context: Contexts,
    incidents: Incidents,
    real_threelo: RealThreeLO,
    lure_site: LureSite,
) -> None:
    app = incidents()
    seed = real_threelo.seed
    callback = mallory_stops_at_her_callback(new_context, app, real_threelo)
    families = token_families(real_threelo.database_url, seed.incidents_client_id)

    edward, responses = edward_opens_the_lure(new_context, app, lure_site, callback)

    assert responses[0].status == 400
    assert "Link refused" in edward.inner_text("h1")
    assert app.token_requests() == 0
    assert token_families(real_threelo.database_url, seed.incidents_client_id) == families
    assert app.state.links == {}
    assert app.state.sdk.token_store.get("edward") is None
    edward.goto(f"{app.url}/")
    assert "Jira is not connected." in edward.inner_text("body")


def test_reverse_attack_edward_consenting_on_mallorys_authorization_url_is_refused(
    browser: Any,
    new_context: Contexts,
    incidents: Incidents,
    real_threelo: RealThreeLO,
) -> None:
    app = incidents()
    seed = real_threelo.seed
    mallory = new_context().new_page()
    sign_in_to_app(mallory, app.url, "mallory")
    authorize = capture_redirect(mallory, f"{app.url}/connect")
    press_connect_jira(mallory)
    authorization_url = authorize.wait("Mallory's authorization URL")
    assert authorization_url.startswith(f"{real_threelo.url}/authorize?")
    families = token_families(real_threelo.database_url, seed.incidents_client_id)

    # Edward gets the link, sees threelo's genuine consent page, signs in and allows access.
    edward = new_context().new_page()
    sign_in_to_app(edward, app.url, "edward")
    callbacks = responses_to(edward, f"{app.url}/callback")
    edward.goto(authorization_url)
    sign_in_to_threelo(edward, real_threelo.url, seed.edward)
    edward.wait_for_selector('form[action="/authorize/consent"]')
    assert "Incidents" in edward.inner_text("h1")
    answer_consent(edward, "allow", site=seed.acme)
    edward.wait_for_url(f"{app.url}/callback*")

    assert [r.status for r in callbacks] == [400]
    assert "Link refused" in edward.inner_text("h1")
    assert app.token_requests() == 0
    assert token_families(real_threelo.database_url, seed.incidents_client_id) == families
    assert app.state.links == {}  # neither Mallory's app account nor Edward's holds anything
    assert app.state.sdk.token_store.get("mallory") is None
    mallory.unroute_all()
    mallory.goto(f"{app.url}/")
    assert "Jira is not connected." in mallory.inner_text("body")


def test_a_real_deny_on_threelos_consent_page_ends_on_a_friendly_error(
    browser: Any, new_context: Contexts, incidents: Incidents, real_threelo: RealThreeLO
) -> None:
    app = incidents()
    page = new_context().new_page()
    sign_in_to_app(page, app.url, "edward")
    callbacks = responses_to(page, f"{app.url}/callback")
    press_connect_jira(page)
    sign_in_to_threelo(page, real_threelo.url, real_threelo.seed.edward)
    answer_consent(page, "deny")
    page.wait_for_url(f"{app.url}/callback*")

    assert [r.status for r in callbacks] == [400]
    assert "access_denied" in page.inner_text("body")
    assert app.token_requests() == 0
    assert app.state.links == {}


def test_an_error_callback_with_script_in_its_description_is_shown_as_text(
    browser: Any, new_context: Contexts, incidents: Incidents, real_threelo: RealThreeLO
) -> None:
    app = incidents()
    page = new_context().new_page()
    dialogs = on_dialog(page)
    sign_in_to_app(page, app.url, "edward")
    authorize = capture_redirect(page, f"{app.url}/connect")
    press_connect_jira(page)
    state = query_of(authorize.wait("Edward's authorization URL"))["state"][0]
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    crafted = (
        f"{app.url}/callback?error=access_denied&error_description={quote(payload)}"
        f"&state={state}&iss={quote(real_threelo.url, safe='')}"
    )

    response = page.goto(crafted)
    page.wait_for_timeout(300)

    assert response is not None and response.status == 400
    assert payload in page.inner_text("body")  # shown, as text
    assert page.locator("body script, body img").count() == 0
    assert dialogs == []
    assert app.token_requests() == 0
    # The state was spent by the error response: it cannot carry a code afterwards.
    replay = page.goto(f"{app.url}/callback?code=whatever&state={state}")
    assert replay is not None and replay.status == 400
    assert "Link refused" in page.inner_text("h1")
    assert app.token_requests() == 0


def test_the_code_leaves_the_address_bar_and_never_reaches_another_site_in_a_referer(
    browser: Any,
    new_context: Contexts,
    incidents: Incidents,
    real_threelo: RealThreeLO,
    lure_site: LureSite,
) -> None:
    app = incidents()
    # The app's CSP would block any image from another site; switched off here so that the
    # page the flow ends on can load two from the attacker's site, one asking for the full URL
    # as Referer. Were that page rendered at the callback URL, the code would leak.
    page = new_context(bypass_csp=True).new_page()
    sign_in_to_app(page, app.url, "edward")
    callbacks = responses_to(page, f"{app.url}/callback")
    press_connect_jira(page)
    sign_in_to_threelo(page, real_threelo.url, real_threelo.seed.edward)
    answer_consent(page, "allow", site=real_threelo.seed.acme)
    page.wait_for_url(f"{app.url}/sites")
    page.evaluate(
        """base => new Promise(done => {
            let pending = 2;
            for (const [name, policy] of [["plain", ""], ["full", "unsafe-url"]]) {
                const img = document.createElement("img");
                if (policy) img.referrerPolicy = policy;
                img.onload = img.onerror = () => { if (--pending === 0) done(); };
                img.src = `${base}/pixel-${name}`;
                document.body.append(img);
            }
        })""",
        lure_site.url,
    )

    [callback] = callbacks
    assert callback.status == 303
    assert callback.headers["location"] == "/sites"
    assert callback.headers["referrer-policy"] == "no-referrer"
    assert "code=" not in page.url and "state=" not in page.url
    assert app.token_requests() == 1
    referers = {r.path: r.referer for r in lure_site.log if r.path.startswith("/pixel")}
    assert set(referers) == {"/pixel-plain", "/pixel-full"}  # both probes reached the site
    assert referers["/pixel-plain"] is None  # the page's own policy: no-referrer
    assert referers["/pixel-full"] == f"{app.url}/sites"  # the full URL: clean


def test_return_to_outside_the_app_is_refused_and_a_local_one_is_honoured(
    browser: Any, new_context: Contexts, incidents: Incidents, real_threelo: RealThreeLO
) -> None:
    app = incidents()
    page = new_context().new_page()
    sign_in_to_app(page, app.url, "edward")
    for target in ("https://evil.test/", "//evil.test", "/\\evil.test", "https:evil.test"):
        response = page.goto(f"{app.url}/connect?return_to={quote(target, safe='')}")
        assert response is not None and response.status == 400, target
        assert "not allowed" in page.inner_text("body")
    assert app.recorder.sent == []

    # A forged form post with an outside target never starts a flow either.
    page.goto(f"{app.url}/")
    csrf = page.get_attribute('form[action="/logout"] input[name="csrf"]', "value")
    cookies = {c["name"]: c["value"] for c in page.context.cookies(app.url)}
    with httpx.Client(base_url=app.url, cookies=cookies) as http:
        forged = http.post("/connect", data={"csrf": csrf or "", "return_to": "//evil.test"})
    assert forged.status_code == 400 and "location" not in forged.headers

    callbacks = responses_to(page, f"{app.url}/callback")
    page.goto(f"{app.url}/connect?return_to={quote('/incidents/new?from=mail')}")
    page.click('form[action="/connect"] button')
    sign_in_to_threelo(page, real_threelo.url, real_threelo.seed.edward)
    answer_consent(page, "allow", site=real_threelo.seed.acme)
    page.wait_for_url(f"{app.url}/")  # /incidents/new sends a user without a site home
    assert [(r.status, r.headers["location"]) for r in callbacks] == [
        (303, "/incidents/new?from=mail")
    ]
