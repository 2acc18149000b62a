"""One collector module per Tencent Cloud service; each turns API answers into Estate models, never judging."""
