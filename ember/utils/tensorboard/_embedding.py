"""The projector's files for ``SummaryWriter.add_embedding``."""

from __future__ import annotations

import math
import os

import numpy as np

from .summary import make_grid, make_np


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _sprite(label_img, folder: str) -> None:
    """The label images tiled into one square PNG, ``ceil(sqrt(n))`` per row."""
    from PIL import Image

    imgs = make_np(label_img)
    nrow = math.ceil(imgs.shape[0] ** 0.5)
    grid = make_grid(imgs, ncols=nrow).transpose(1, 2, 0)
    square = np.zeros((grid.shape[1], grid.shape[1], 3))
    square[: grid.shape[0]] = grid
    img = Image.fromarray(np.uint8((square * 255).clip(0, 255)))
    img.save(os.path.join(folder, "sprite.png"), format="PNG")


def write_embedding(root, config, mat, metadata, label_img, step, tag, header, encoded_tag):
    """Write one embedding's files under ``root/<step:05d>/<tag>``; the updated config."""
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import (
        EmbeddingInfo,
        ProjectorConfig,
    )

    subdir = f"{str(step).zfill(5)}/{encoded_tag}"
    folder = os.path.join(root, subdir)
    if os.path.exists(folder):
        if not os.path.isdir(folder):
            raise NotADirectoryError(f"Path: `{folder}` exists, but is a file. Cannot proceed.")
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    else:
        os.makedirs(folder)
    info = EmbeddingInfo(
        tensor_name=f"{tag}:{str(step).zfill(5)}", tensor_path=f"{subdir}/tensors.tsv"
    )
    if metadata is not None:
        if mat.shape[0] != len(metadata):
            raise AssertionError("#labels should equal with #data points")
        rows = [str(x) for x in metadata]
        if header:
            if len(header) != len(metadata[0]):
                raise AssertionError(
                    "len of header must be equal to the number of columns in metadata"
                )
            rows = ["\t".join(str(e) for e in r) for r in [header] + list(metadata)]
        _write(os.path.join(folder, "metadata.tsv"), ("\n".join(rows) + "\n").encode())
        info.metadata_path = f"{subdir}/metadata.tsv"
    if label_img is not None:
        if mat.shape[0] != label_img.shape[0]:
            raise AssertionError("#images should equal with #data points")
        _sprite(label_img, folder)
        info.sprite.image_path = f"{subdir}/sprite.png"
        info.sprite.single_image_dim.extend([label_img.shape[3], label_img.shape[2]])
    if mat.ndim != 2:
        raise AssertionError("mat should be 2D, where mat.size(0) is the number of data points")
    lines = ["\t".join(str(v.item()) for v in row) for row in mat]
    _write(os.path.join(folder, "tensors.tsv"), "".join(line + "\n" for line in lines).encode())
    config = config if config is not None else ProjectorConfig()
    config.embeddings.extend([info])
    _write(
        os.path.join(root, "projector_config.pbtxt"), text_format.MessageToString(config).encode()
    )
    return config
