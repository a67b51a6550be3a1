"""Contract case for the claims analysis: a small synthetic table, both trainable kinds, all fixture folders.

``claims-encoder`` needs the optional sentence-transformers extra and is left out (the suite skips it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

import viewcast
from viewcast.synth.claims import generate_claims

ANALYSIS = "claims"

#: Raw videos as a client sends them: a claim, an opinion, a bare statement, an empty transcript.
REQUEST: list[dict[str, Any]] = [
    {
        "video_transcription_text": "a friend read in the media that honey never spoils",
        "verified_status": "not verified",
        "author_ban_status": "active",
        "video_view_count": 500_000,
        "video_like_count": 90_000,
        "video_share_count": 9_000,
        "video_download_count": 800,
        "video_comment_count": 300,
    },
    {
        "video_transcription_text": "my friends think that honey never spoils",
        "verified_status": "verified",
        "author_ban_status": "banned",
        "video_view_count": 2_000,
        "video_like_count": 300,
        "video_share_count": 30,
        "video_download_count": 3,
        "video_comment_count": 1,
    },
    {
        "video_transcription_text": "octopuses have three hearts",
        "verified_status": None,
        "author_ban_status": "under review",
        "video_view_count": 0,
        "video_like_count": 0,
        "video_share_count": 0,
        "video_download_count": 0,
        "video_comment_count": 0,
    },
    {
        "video_transcription_text": "",
        "verified_status": "unheard-of",
        "author_ban_status": "",
        "video_view_count": 1e15,
        "video_like_count": 1.5,
        "video_share_count": 10,
        "video_download_count": 1,
        "video_comment_count": 0,
    },
]

FIXTURES = {
    "claims_model_default": REQUEST,  # viewcast 0.1.0, format 1
    "claims_model_reference": REQUEST,  # viewcast 0.1.0, format 1
    "claims_model_default_v2": REQUEST,
    "claims_model_reference_v2": REQUEST,
}


def analysis_case(tmp_path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    return generate_claims(300, seed=1), {"model": "default", "seed": 0}


def model_cases(tmp_path: Path) -> list[dict[str, Any]]:
    table = generate_claims(300, seed=2)
    return [
        {"kind": "claims-linear", "model": viewcast.claims(table).model, "request": REQUEST},
        {"kind": "claims-reference", "model": viewcast.claims(table, model="reference", epochs=2).model, "request": REQUEST},
    ]
