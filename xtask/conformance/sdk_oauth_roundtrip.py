"""The official MCP Python SDK's OAuth client, connecting by URL alone.

Given only MCP_URL, the SDK discovers the authorization server (RFC 9728,
RFC 8414), registers itself (RFC 7591), and sends a person to the
authorization page. The person is played here by a browser without
JavaScript: it follows the link, logs in with USER_EMAIL and
USER_PASSWORD on the frontend at FRONTEND_URL, and presses Allow on the
consent page. The SDK then exchanges the code with its PKCE verifier and
calls the tools with the access token. Run by `cargo xtask mcp-conformance`.
"""

import asyncio
import html
import os
import re
import sys
from urllib.parse import parse_qs, urljoin, urlparse

import httpx2
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

MCP_URL = os.environ["MCP_URL"]
FRONTEND = os.environ["FRONTEND_URL"]
EMAIL = os.environ["USER_EMAIL"]
PASSWORD = os.environ["USER_PASSWORD"]
# Where the SDK would listen; the person's browser is stopped before it.
REDIRECT = "http://127.0.0.1:33418/callback"
TOOLS = ["add_task", "list_tasks", "complete_task", "update_task", "delete_task"]


class Memory(TokenStorage):
    def __init__(self):
        self.tokens = None
        self.client = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull):
        self.client = client_info


def check(condition, what):
    if not condition:
        sys.exit(f"sdk-oauth: {what}")


class Person:
    """Follows the authorization link in a browser without JavaScript."""

    def __init__(self):
        self.answer = None

    async def open(self, authorization_url: str):
        origin = {"origin": FRONTEND}
        async with httpx2.AsyncClient(follow_redirects=False) as web:
            page = await web.get(authorization_url)
            check(page.status_code == 303, f"the authorization page sent {page.status_code}, not to the login")
            login = urljoin(FRONTEND, page.headers["location"])
            check(urlparse(login).path == "/login", f"not sent to log in: {login}")
            back_to = parse_qs(urlparse(login).query)["next"][0]
            check((await web.get(login)).status_code == 200, "the login page")
            logged_in = await web.post(
                f"{FRONTEND}/login",
                data={"email": EMAIL, "password": PASSWORD, "next": back_to},
                headers=origin,
            )
            check(logged_in.status_code == 303, f"login answered {logged_in.status_code}")
            check(logged_in.headers["location"] == back_to, "login did not return to the authorization page")
            consent = await web.get(urljoin(FRONTEND, back_to))
            check(consent.status_code == 200, f"the consent page answered {consent.status_code}")
            check("Connect MCP Python SDK round trip?" in html.unescape(consent.text), "the consent page names the app")
            fields = {
                name: html.unescape(value)
                for name, value in re.findall(
                    r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', consent.text
                )
            }
            fields["decision"] = "allow"
            allowed = await web.post(f"{FRONTEND}/oauth/authorize", data=fields, headers=origin)
            check(allowed.status_code == 303, f"Allow answered {allowed.status_code}")
            location = allowed.headers["location"]
            check(location.startswith(REDIRECT + "?"), f"Allow went to {location}")
            query = parse_qs(urlparse(location).query)
            self.answer = AuthorizationCodeResult(
                code=query["code"][0],
                state=query.get("state", [None])[0],
                iss=query.get("iss", [None])[0],
            )

    async def callback(self) -> AuthorizationCodeResult:
        check(self.answer is not None, "no answer from the authorization page")
        return self.answer


async def main():
    person = Person()
    storage = Memory()
    provider = OAuthClientProvider(
        server_url=MCP_URL,
        client_metadata=OAuthClientMetadata(
            client_name="MCP Python SDK round trip",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=person.open,
        callback_handler=person.callback,
    )
    async with httpx2.AsyncClient(auth=provider) as http:
        async with streamable_http_client(MCP_URL, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                listed = await session.list_tools()
                names = [tool.name for tool in listed.tools]
                check(names == TOOLS, f"tools {names}")
                added = await session.call_tool("add_task", {"title": "from the Python SDK"})
                check(not added.is_error, f"add_task failed: {added}")
                check(added.structured_content["title"] == "from the Python SDK", "add_task's result")
                tasks = await session.call_tool("list_tasks", {})
                check(tasks.structured_content["total"] >= 1, "list_tasks sees the task")
    check(storage.tokens is not None and storage.tokens.refresh_token, "a refresh token was issued")
    check(storage.client is not None, "the SDK registered itself")
    print(
        f"sdk-oauth: discovered, registered ({storage.client.client_id}), logged in through the pages, "
        f"allowed, exchanged the code, listed {len(names)} tools and called add_task and list_tasks"
    )


asyncio.run(main())
