"""The content types a body may be declared as: JSON, none or curl's default form type (read as JSON);
anything else with a body is a 415 naming ``Content-Type``, in the route's own error shape."""

from __future__ import annotations

from conftest import ApiClient, make_invoice


async def test_a_body_declared_as_neither_json_nor_a_form_is_415(api: ApiClient) -> None:
    body = b'{"name": "Acme"}'
    for declared in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        response = await api.raw.post(
            "/v1/customers", content=body, headers={"X-API-KEY": api.key, "Content-Type": declared}
        )
        assert response.status_code == 415, (declared, response.text)
        answer = response.json()
        assert answer["code"] == "unsupported_media_type"
        assert list(answer["details"]) == ["Content-Type"]
        assert declared.split(";")[0] in answer["details"]["Content-Type"]
    assert (await api.get("/v1/customers")).json()["data"] == []  # nothing written
    for declared in (
        "application/json",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
    ):
        response = await api.raw.post(
            "/v1/customers", content=body, headers={"X-API-KEY": api.key, "Content-Type": declared}
        )
        assert response.status_code == 201, (declared, response.text)
    invoice = await make_invoice(api)
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Item", "amount": "1"})
    issued = await api.raw.post(  # a declared type without a body: nothing to refuse
        f"/v1/invoices/{invoice['id']}/issue", headers={"X-API-KEY": api.key, "Content-Type": "text/plain"}
    )
    assert issued.status_code == 200, issued.text
