"""Training: data records, converters, the unified-task builder, generators, rewards, SFT and GSPO.

The record format (:mod:`.records`) is the common currency: converters produce records, generators
produce records, the task builder turns records into TRL datasets. Heavy dependencies (datasets,
trl, peft, torch) are imported only by the parts that need them.
"""
