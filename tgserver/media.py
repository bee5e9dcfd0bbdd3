"""Non-text message contents in Telegram's shapes: stickers, photos, voice, documents, places."""

from __future__ import annotations

from typing import Any

from tgserver.world import StoredFile, World, WorldError

# Small stand-ins so a bot that downloads what a user sent gets bytes of the right kind.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000105fe02fea70000000049454e44ae426082"
)
TINY_OGG = b"OggS\x00\x02" + bytes(20) + b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
TINY_WEBP = bytes.fromhex("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700")
TINY_PDF = b"%PDF-1.4\n% sandbox document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Media a message can carry; each maps to the Bot API field of the same name.
MEDIA_KINDS = ("sticker", "photo", "voice", "audio", "video", "animation", "document",
               "location", "contact", "venue")


def _file_fields(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }


def photo_sizes(world: World, content: bytes, width: int = 1280, height: int = 960
                ) -> list[dict[str, Any]]:
    """Return the PhotoSize array Telegram makes of one photo: a thumbnail up to full size."""
    sizes = []
    for side in (90, 320, 800, max(width, height)):
        scale = min(1.0, side / max(width, height))
        stored = world.store_file("photo", content, mime_type="image/jpeg", suffix=".jpg")
        sizes.append(
            {**_file_fields(stored), "width": max(1, round(width * scale)),
             "height": max(1, round(height * scale))}
        )
        if scale == 1.0:
            break
    return sizes


def build_media(world: World, kind: str, spec: dict[str, Any], content: bytes | None = None
                ) -> dict[str, Any]:
    """Return the message fields for a piece of media, storing its file.

    Args:
        world: Where the file is stored.
        kind: One of :data:`MEDIA_KINDS`.
        spec: The media's properties (emoji, duration, file_name, latitude...); missing ones get
            the values a phone would typically send.
        content: The file's bytes, if known (an upload); else a small stand-in.

    Returns:
        A dict with one key, ``kind``, holding the Bot API object (``photo`` holds a list).

    Raises:
        WorldError: Unknown kind, or a location/contact without its required fields.
    """
    if kind == "photo":
        sizes = photo_sizes(world, content or TINY_PNG, int(spec.get("width", 1280)),
                            int(spec.get("height", 960)))
        return {"photo": sizes}
    if kind == "sticker":
        stored = world.store_file("sticker", content or TINY_WEBP, mime_type="image/webp",
                                  suffix=".webp")
        sticker = {
            **_file_fields(stored), "type": spec.get("type", "regular"),
            "width": int(spec.get("width", 512)), "height": int(spec.get("height", 512)),
            "is_animated": bool(spec.get("is_animated", False)),
            "is_video": bool(spec.get("is_video", False)),
            "emoji": spec.get("emoji", "👍"),
        }
        if spec.get("set_name"):
            sticker["set_name"] = spec["set_name"]
        return {"sticker": sticker}
    if kind == "voice":
        stored = world.store_file("voice", content or TINY_OGG, mime_type="audio/ogg",
                                  suffix=".oga")
        return {"voice": {**_file_fields(stored), "duration": int(spec.get("duration", 3)),
                          "mime_type": spec.get("mime_type", "audio/ogg")}}
    if kind in ("audio", "video", "animation"):
        mime = {"audio": "audio/mpeg", "video": "video/mp4", "animation": "video/mp4"}[kind]
        stored = world.store_file(kind, content or b"\x00" * 16, mime_type=mime,
                                  file_name=spec.get("file_name"))
        data = {**_file_fields(stored), "duration": int(spec.get("duration", 5)),
                "mime_type": spec.get("mime_type", mime)}
        if kind != "audio":
            data.update(width=int(spec.get("width", 640)), height=int(spec.get("height", 480)))
        for key in ("file_name", "title", "performer"):
            if spec.get(key):
                data[key] = spec[key]
        return {kind: data}
    if kind == "document":
        file_name = spec.get("file_name", "document.pdf")
        mime = spec.get("mime_type", "application/pdf")
        body = content
        if body is None:
            body = spec["content"].encode() if isinstance(spec.get("content"), str) else TINY_PDF
        stored = world.store_file("document", body, mime_type=mime, file_name=file_name)
        return {"document": {**_file_fields(stored), "file_name": file_name, "mime_type": mime}}
    if kind in ("location", "venue"):
        try:
            location = {"latitude": float(spec["latitude"]),
                        "longitude": float(spec["longitude"])}
        except (KeyError, TypeError, ValueError):
            raise WorldError(f"a {kind} needs numeric latitude and longitude") from None
        if spec.get("horizontal_accuracy") is not None:
            location["horizontal_accuracy"] = float(spec["horizontal_accuracy"])
        if kind == "location":
            return {"location": location}
        return {"venue": {"location": location, "title": spec.get("title", ""),
                          "address": spec.get("address", "")}, "location": location}
    if kind == "contact":
        if not spec.get("phone_number") or not spec.get("first_name"):
            raise WorldError("a contact needs phone_number and first_name")
        contact = {"phone_number": str(spec["phone_number"]), "first_name": spec["first_name"]}
        for key in ("last_name", "user_id", "vcard"):
            if spec.get(key):
                contact[key] = spec[key]
        return {"contact": contact}
    raise WorldError(f"unknown media kind {kind!r}; use one of {', '.join(MEDIA_KINDS)}")


def reuse_media(world: World, kind: str, stored: StoredFile, spec: dict[str, Any]
                ) -> dict[str, Any]:
    """Return message fields for media a bot re-sends by ``file_id`` (same file, same id)."""
    fields = build_media(world, kind, spec, stored.content)
    # Re-sending by file_id keeps the id, as Telegram does; drop the copy just stored.
    value = fields[kind]
    if isinstance(value, list):
        return fields
    if isinstance(value, dict) and "file_id" in value:
        world.files.pop(value["file_id"], None)
        value.update(file_id=stored.file_id, file_unique_id=stored.file_unique_id)
    return fields
