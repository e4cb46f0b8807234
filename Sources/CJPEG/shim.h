// libjpeg-turbo's classic API.
#include <stdio.h>
#include <jpeglib.h>
