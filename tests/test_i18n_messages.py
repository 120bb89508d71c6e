"""The API's and the admin's messages exist in English and Japanese (issue 15).

A refusal asked for in Japanese (`?lang=ja` or `Accept-Language: ja`) names the same fields
with the same code as in English, its words in Japanese; the English answer is what it
always was, byte for byte. The services' own refusals (tracker.services), the webhook
endpoints' field problems and the filters' are among them; the admin names the models in
the editor's language.
"""

import pytest
from django.utils import translation

from tests import factories
from tests.api_support import client_as, etag_of, make_draft, publish_new
from tests.editors_support import logged_in, text_of
from tracker import services
from tracker.models import Evaluation, Source

JA_HEADER = {"HTTP_ACCEPT_LANGUAGE": "ja"}
ASKED_IN_JAPANESE = [
    pytest.param("parameter", id="lang=ja"),
    pytest.param("header", id="Accept-Language"),
]


def _ask(client, method: str, url: str, data=None, *, japanese: str | None, **headers):
    """The request, in English (japanese=None) or in Japanese by the parameter or the header."""
    if japanese == "parameter":
        url += ("&" if "?" in url else "?") + "lang=ja"
    elif japanese == "header":
        headers = {**headers, **JA_HEADER}
    if method == "get":
        return client.get(url, **headers)
    return getattr(client, method)(url, data, format="json", **headers)


def _refusal(response) -> tuple[int, str, dict]:
    body = response.json()
    return response.status_code, body["code"], body["errors"]


def _published_patch(demo):
    evaluation = publish_new(demo.recommendations.get(code="SEC-2"))
    editor = client_as("editor")
    return (
        editor,
        "patch",
        f"/api/v1/evaluations/{evaluation.pk}/",
        {"wording": "Mine"},
        {"HTTP_IF_MATCH": etag_of(editor, evaluation)},
    )


def _cited_twice(demo):
    draft = make_draft(demo)
    editor = client_as("editor")
    source = draft.evidence.get().source
    return (
        editor,
        "post",
        f"/api/v1/evaluations/{draft.pk}/evidence/",
        {"source": source.key},
        {"HTTP_IF_MATCH": etag_of(editor, draft)},
    )


def _bad_status_filter(demo):
    return client_as("anonymous"), "get", "/api/v1/evaluations/?status=lost", None, {}


def _webhook_bad_url(demo):
    body = {"url": "https://10.0.0.1/x", "events": ["evaluation.deleted"]}
    return client_as("partner"), "post", "/api/v1/webhooks/", body, {}


def _webhook_plain_http(demo):
    body = {"url": "http://example.org/x", "events": []}
    return client_as("partner"), "post", "/api/v1/webhooks/", body, {}


# Each refusal: how to ask for it, and its answer in English and in Japanese (status, code,
# messages per field).
REFUSALS = [
    pytest.param(
        _published_patch,
        403,
        "permission_denied",
        {},
        "This evaluation is published: only a publisher can change it, or withdraw it to "
        "draft so that you can.",
        "この評価は公表済みです。変更できるのは公表担当者だけです。公表担当者が撤回して"
        "下書きに戻せば、あなたも変更できます。",
        id="an editor patches a published evaluation",
    ),
    pytest.param(
        _cited_twice,
        400,
        "invalid",
        {"evidence": ["“{source}” is already cited by this evaluation."]},
        "evidence: “{source}” is already cited by this evaluation.",
        "evidence: 「{source}」はこの評価ですでに引用されています。",
        id="the service refuses a source cited twice",
    ),
    pytest.param(
        _bad_status_filter,
        400,
        "invalid",
        {"status": ["“lost” is not one of: draft, published."]},
        "status: “lost” is not one of: draft, published.",
        "status: 「lost」は指定できません。次のいずれかを指定してください：draft, published。",
        id="a bad filter value",
    ),
    pytest.param(
        _webhook_bad_url,
        400,
        "invalid",
        {
            "url": ["10.0.0.1 is not a public address; webhooks go to public addresses only."],
            "events": [
                "Unknown event type(s): evaluation.deleted. Choose from evaluation.published, "
                "evaluation.changed, evaluation.withdrawn, edition.published, "
                "recommendation.overdue."
            ],
        },
        "url: 10.0.0.1 is not a public address; webhooks go to public addresses only. "
        "(and 1 more; see errors)",
        None,
        id="a webhook to a private address, for an unknown event",
    ),
    pytest.param(
        _webhook_plain_http,
        400,
        "invalid",
        {
            "url": ["Use an https URL."],
            "events": [
                "Choose at least one of evaluation.published, evaluation.changed, "
                "evaluation.withdrawn, edition.published, recommendation.overdue."
            ],
        },
        "url: Use an https URL. (and 1 more; see errors)",
        None,
        id="a webhook over plain http, for no event",
    ),
]

# The Japanese of the refusals' field messages, as the answer in Japanese gives them.
JAPANESE_ERRORS = {
    _webhook_bad_url: {
        "url": [
            "10.0.0.1はグローバルアドレスではありません。Webhookはグローバルアドレスにだけ"
            "送信します。"
        ],
        "events": [
            "不明なイベントの種類です：evaluation.deleted。次から選んでください："
            "evaluation.published, evaluation.changed, evaluation.withdrawn, "
            "edition.published, recommendation.overdue。"
        ],
    },
    _webhook_plain_http: {
        "url": ["httpsのURLを指定してください。"],
        "events": [
            "次から1つ以上選んでください：evaluation.published, evaluation.changed, "
            "evaluation.withdrawn, edition.published, recommendation.overdue。"
        ],
    },
}


def _filled(value, **names):
    if isinstance(value, str):
        return value.replace("{source}", names.get("source", "{source}"))
    if isinstance(value, dict):
        return {key: [_filled(item, **names) for item in items] for key, items in value.items()}
    return value


@pytest.fixture(autouse=True)
def _public_addresses_only(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False


@pytest.mark.parametrize(
    ("setup", "status", "code", "errors", "english", "japanese_detail"), REFUSALS
)
def test_a_refusal_in_english_is_unchanged(
    demo, setup, status, code, errors, english, japanese_detail
):
    client, method, url, data, headers = setup(demo)
    names = _names(data)

    response = _ask(client, method, url, data, japanese=None, **headers)

    assert response["Content-Language"] == "en"
    assert _refusal(response) == (status, code, _filled(errors, **names))
    assert response.json()["detail"] == _filled(english, **names)


@pytest.mark.parametrize("asked", ASKED_IN_JAPANESE)
@pytest.mark.parametrize(
    ("setup", "status", "code", "errors", "english", "japanese_detail"), REFUSALS
)
def test_a_refusal_asked_in_japanese_is_in_japanese_with_the_same_fields(
    demo, setup, status, code, errors, english, japanese_detail, asked
):
    client, method, url, data, headers = setup(demo)
    names = _names(data)

    response = _ask(client, method, url, data, japanese=asked, **headers)

    body = response.json()
    assert response["Content-Language"] == "ja"
    assert (response.status_code, body["code"], list(body["errors"])) == (
        status,
        code,
        list(errors),
    )
    if setup in JAPANESE_ERRORS:
        assert body["errors"] == JAPANESE_ERRORS[setup]
    else:
        for field, messages in body["errors"].items():
            assert messages == [_filled(japanese_detail, **names).removeprefix(f"{field}: ")]
    if japanese_detail is not None:
        assert body["detail"] == _filled(japanese_detail, **names)
    else:
        first, messages = next(iter(body["errors"].items()))
        assert body["detail"] == f"{first}: {messages[0]}（ほか1件。errorsを参照してください）"


def _names(data) -> dict[str, str]:
    """The names a message quotes: the title of the source a request cites."""
    if isinstance(data, dict) and "source" in data:
        return {"source": Source.objects.get(key=data["source"]).title}
    return {}


# --- The services' refusals, in the language of whoever asks ------------------------------


@pytest.fixture
def draft(recommendation):
    return factories.make_evaluation(recommendation)


def _message(error, field: str) -> str:
    return error.value.message_dict[field][0]


def test_an_unknown_stance_is_refused_in_the_language_asked_for(draft):
    evidence = [{"source": factories.make_source(), "stance": "maybe"}]

    with pytest.raises(services.ValidationError) as english:
        services.add_evidence(evaluation=draft, evidence=evidence)
    with translation.override("ja"), pytest.raises(services.ValidationError) as japanese:
        services.add_evidence(evaluation=draft, evidence=evidence)

    assert _message(english, "evidence") == "Unknown stance “maybe”."
    assert _message(japanese, "evidence") == "「maybe」という立場はありません。"


def test_a_field_the_service_keeps_is_refused_in_the_language_asked_for(draft):
    def change_status():
        services.update_evaluation(
            evaluation=draft, expected_version=draft.version, changes={"status": "published"}
        )

    with pytest.raises(services.ValidationError) as english:
        change_status()
    with translation.override("ja"), pytest.raises(services.ValidationError) as japanese:
        change_status()

    assert _message(english, "status") == "This field cannot be changed here."
    assert _message(japanese, "status") == "この項目はここでは変更できません。"
    assert Evaluation.objects.get(pk=draft.pk).version == draft.version


def test_a_stale_version_is_refused_in_the_language_asked_for(draft):
    def change_wording():
        services.update_evaluation(
            evaluation=draft, expected_version=draft.version + 5, changes={"wording": "New"}
        )

    with pytest.raises(services.StaleVersionError) as english:
        change_wording()
    with translation.override("ja"), pytest.raises(services.StaleVersionError) as japanese:
        change_wording()

    assert _message(english, "version") == (
        f"Someone else changed this evaluation since you opened it (you had version "
        f"{draft.version + 5}, it is now version {draft.version}). Nothing was saved; reload "
        f"to see their changes."
    )
    assert _message(japanese, "version") == (
        f"この評価を開いた後に、他の人が変更しています（開いたときは第{draft.version + 5}版、"
        f"現在は第{draft.version}版）。何も保存されていません。再読み込みして、その変更を"
        f"確認してください。"
    )


# --- The admin names the models in the editor's language ---------------------------------


@pytest.fixture
def editor(editor_user):
    return logged_in(editor_user)


def test_the_japanese_admin_index_names_the_models_in_japanese(editor):
    page = text_of(editor.get("/admin/", **JA_HEADER))

    assert ">スコアカードの記録</a>" in page
    for name in ("評価", "出典", "提言", "報告書", "評価者", "版", "見解", "翻訳"):
        assert f">{name}</a>" in page, name
    assert ">Evaluations</a>" not in page


def test_the_english_admin_index_is_unchanged(editor):
    page = text_of(editor.get("/admin/"))

    assert ">Scorecard record</a>" in page
    for name in ("Evaluations", "Sources", "Recommendations", "Reports", "Evaluators"):
        assert f">{name}</a>" in page, name
