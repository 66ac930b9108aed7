from collections import OrderedDict
import os.path as osp


def join(*parts):
    return osp.join(*parts)
