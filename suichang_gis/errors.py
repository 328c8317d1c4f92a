"""The one Chinese message for an error nobody foresaw, shared by the command line and the window."""

from __future__ import annotations

from .catalog import mask_secrets


def unexpected_error_message(exc: BaseException, files=(), hint: str = "") -> str:
    """'处理文件 a.kml 时出现意外问题（IndexError：…）。…' naming the user's files, passwords masked.

    ``hint`` is added before the closing request, e.g. how to show the traceback.
    """
    names = "、".join(str(f) for f in files)
    subject = f"文件 {names} " if names else "命令"
    return (f"处理{subject}时出现意外问题（{type(exc).__name__}：{mask_secrets(str(exc))[:300]}）。"
            f"文件可能损坏或格式不受支持；{hint}请连同文件一并反馈")
