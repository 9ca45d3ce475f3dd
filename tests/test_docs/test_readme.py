"""The README speaks to users: no links or paths outside the repository,
no acceptance wording, and its demo timing matches the demo's own files."""
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = (REPO_ROOT / 'README.md').read_text(encoding='utf-8')


def test_no_links_outside_the_repository():
    assert re.findall(r'https?://\S+', README) == []
    # relative links and paths stay inside the repository
    for target in re.findall(r'\]\(([^)]+)\)', README):
        path = (REPO_ROOT / target.split('#')[0]).resolve()
        assert REPO_ROOT in path.parents or path == REPO_ROOT, target
        assert path.exists(), target
    assert '../' not in README


@pytest.mark.parametrize('wording', [
    r'\(need [\d.]+x\)', r'\bneed [\d.]+x\b', r'\btargets? [\d.]+x\b',
    r'\bacceptance\b', r'\btargets? [^.\n]*\bnot met\b'
])
def test_no_acceptance_wording(wording):
    assert re.findall(wording, README, flags=re.IGNORECASE) == []


def test_demo_time_is_the_same_everywhere():
    said = set()
    for path in ('README.md', 'tools/demo.sh'):
        text = ' '.join((REPO_ROOT / path).read_text().split())
        found = re.findall(r'about (\d+ seconds|a minute|[\d-]+ minutes)', text)
        assert found, path
        said.update(found)
    assert len(said) == 1, said
