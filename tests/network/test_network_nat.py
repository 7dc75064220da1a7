"""--public-ip (1:1 NAT): the answer advertises the public address and media reaches the server
through it. A network namespace of the test's own plays the NAT: nftables maps 127.0.0.2 (the
"public" address) to 127.0.0.1, where the server's sockets are bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from serverproc import ROOT

SCENARIO = Path(__file__).with_name("nat_scenario.py")
NAT_RULES = """table ip hubbub_nat {
  chain output {
    type nat hook output priority -100; policy accept;
    ip daddr 127.0.0.2 udp dport 20100-20109 counter dnat to 127.0.0.1
  }
}
"""


def _run(tmp_path: Path, nat: bool) -> tuple[dict[str, object], str]:
    """The scenario in a fresh namespace with only lo (and the NAT rule if asked); its JSON and the ruleset."""
    rules = tmp_path / "nat.nft"
    rules.write_text(NAT_RULES)
    load = f"nft -f {rules} && " if nat else ""
    script = (f'ip link set lo up && {load}"$0" {SCENARIO} > {tmp_path}/out.json && '
              f"nft list ruleset > {tmp_path}/ruleset.txt")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
           "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin"}
    result = subprocess.run(["unshare", "--net", "sh", "-c", script, sys.executable], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((tmp_path / "out.json").read_text()), (tmp_path / "ruleset.txt").read_text()


def test_media_flows_through_the_advertised_public_address(tmp_path: Path) -> None:
    out, ruleset = _run(tmp_path, nat=True)
    candidates = out["answer_candidates"]
    assert isinstance(candidates, list) and candidates
    assert all(line.split()[4] == "127.0.0.2" for line in candidates), candidates  # never the private address
    assert all(20100 <= int(line.split()[5]) <= 20109 for line in candidates)
    # the listener's selected pair is the advertised host candidate, reached through the NAT rule
    assert out["nominated_remote"][0] == "127.0.0.2" and out["nominated_remote"][2] == "host", out
    assert "counter packets 0 " not in ruleset, ruleset
    listener = out["listener"]
    assert isinstance(listener, dict) and listener["frames_received"] >= 100 and listener["gaps"] == 0
    left, right = out["tone_db"]  # the talker stands 2 m to the listener's left
    assert left - right >= 15, out["tone_db"]


def test_without_the_nat_the_public_address_is_not_what_carries_media(tmp_path: Path) -> None:
    """The control run: same scenario, no mapping. The advertised pair fails; only the
    peer-reflexive rescue on 127.0.0.1 connects, which the first test would have caught."""
    out, _ = _run(tmp_path, nat=False)
    assert out["nominated_remote"][0] == "127.0.0.1" and out["nominated_remote"][2] == "prflx", out
