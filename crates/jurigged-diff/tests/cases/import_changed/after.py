from collections import OrderedDict, defaultdict
import os.path as osp


def join(*parts):
    return osp.join(*parts)
