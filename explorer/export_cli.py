"""`gan-explorer export CKPT --onnx G.onnx`: the generator of any checkpoint as an ONNX model.

Headless: never imports Qt. The export itself lives in `gan_models.onnx_export`; this file
only parses the command line and prints the summary (inputs, outputs, metadata).
"""
from __future__ import annotations



def export_parser():
    from gan_models import cli_args as ca
    p = ca.Parser(
        prog="gan-explorer export",
        description="Export the generator of a checkpoint, run folder or bundled model as ONNX "
                    "(dynamic batch; inputs z [, label_onehot] [, codes]; needs: pip install "
                    "'gan-explorer[onnx]').")
    p.add_argument("checkpoint", help="checkpoint file, run folder or bundled model (.safetensors)")
    p.add_argument("--onnx", required=True, metavar="G.onnx", type=ca.out_file(), help="the ONNX file to write")
    p.add_argument("--opset", type=ca.int_in(7, 99), help="ONNX opset version (default: the exporter's)")
    return p


def cmd_export(argv: list[str]) -> int:
    from gan_models.onnx_export import export_onnx
    args = export_parser().parse_args(argv)
    summary = export_onnx(args.checkpoint, args.onnx, opset=args.opset)
    print("\n".join(summary.lines()))
    return 0
