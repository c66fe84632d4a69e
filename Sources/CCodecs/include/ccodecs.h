#ifndef CCODECS_H
#define CCODECS_H
int ccodecs_placeholder(void);
#endif
