"""Evaluation: how good a model's interpolations are, measured.

* :mod:`.ground_truth`: pairs of dataset images and their true in-between images;
* :mod:`.measures`: the measures of interpolated paths, and :data:`.measures.MEASURES`, the
  one table that declares every scalar measure (key, header, note, format, direction);
* :mod:`.protocol`: the AEAI paper's protocol and ACAI's lines benchmark, run on a model;
* :mod:`.admissibility`, :mod:`.lines_benchmark`, :mod:`.mismatch`: families of measures
  (the paper's four conditions, ACAI's lines, latent distribution mismatch);
* :mod:`.toy_priors`: AdvAI's correction trained and measured on toy priors;
* :mod:`.report`: checkpoints evaluated and compared in one table;
* :mod:`.plots`, :mod:`.animation`, :mod:`.pixels`: figures, GIFs, images as pixels.
"""
