// Definitions shared by every kernel source (build-fatbin.sh compiles them as one translation unit).
#pragma once

#include <stdint.h>

// Threads per block of every kernel; the Java launchers use the same value.
#define THREADS 256
